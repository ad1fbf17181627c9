"""bot.callbacks: the one place callback data is built and read (untrusted input)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.callbacks import Callback


@pytest.mark.parametrize(
    ("data", "parsed"),
    [("S:m:12", ("m", (12,))), ("S:l", ("l", ())), ("S:t:5:-1001:0", ("t", (5, -1001, 0))),
     ("S:m:x", ("m:x", ())), ("S:m:1;DROP", None), ("X:m:1", None), ("S:m:" + "9" * 20, None),
     ("S:m:9223372036854775808", None), ("S:toolongaction:1", None), ("", None), (None, None),
     ("S:m:1:" + ":".join(["1"] * 40), None), ("S:", None), ("S", None), ("S::1", None),
     ("S:m:1:", None), ("S:m: 1", None), ("S:m:１", None), ("S:a:b:c:1", None)],
)  # fmt: skip
def test_salon_data_is_parsed_strictly(data, parsed):
    result = callbacks.parse(data, callbacks.SALON)
    assert (result and (result.action, result.numbers)) == parsed


@pytest.mark.parametrize(
    ("data", "prefix", "salon_id"),
    [("J:12", callbacks.JOIN, 12), ("L:7", callbacks.LEAVE, 7), ("C:3", callbacks.CLAIM, 3),
     ("J:0", callbacks.JOIN, None), ("J:-4", callbacks.JOIN, None), ("J:x", callbacks.JOIN, None),
     ("J:1:2", callbacks.JOIN, None), ("L:ok:5", callbacks.LEAVE, None), ("C:12", callbacks.JOIN,
     None), ("J:", callbacks.JOIN, None)],
)  # fmt: skip
def test_a_salon_id_is_read_only_from_its_own_prefix(data, prefix, salon_id):
    assert callbacks.salon_id_of(data, prefix) == salon_id


def test_the_two_word_actions_of_privacy_round_trip():
    assert callbacks.privacy("del:yes") == "P:del:yes"
    assert callbacks.parse("P:del:yes", callbacks.PRIVACY) == Callback("P", "del:yes", ())
    assert callbacks.parse("P:trk:1", callbacks.PRIVACY) == Callback("P", "trk", (1,))


def test_data_that_would_not_fit_or_parse_is_refused_when_built():
    with pytest.raises(ValueError):
        callbacks.salon("m", *([2**62] * 4))  # over 64 bytes
    with pytest.raises(ValueError):
        callbacks.salon("m:x:y", 1)  # three words
    with pytest.raises(ValueError):
        callbacks.salon("m", 2**63)  # not a 64-bit integer


def test_patterns_match_their_actions_only():
    manage = re.compile(callbacks.pattern(callbacks.SALON, "m", "X"))
    assert manage.match("S:m:1") and manage.match("S:X:1")
    assert not manage.match("S:mx:1") and not manage.match("I:m:1") and not manage.match("S:x:1")
    assert re.match(callbacks.pattern(callbacks.SALON, "l"), "S:l")
    assert re.match(callbacks.exactly(callbacks.salon("skip", 2)), "S:skip:2")
    assert not re.match(callbacks.exactly(callbacks.salon("skip", 2)), "S:skip:20")


words = st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True)
ints = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)


@given(action=st.one_of(st.just(""), words), numbers=st.lists(ints, max_size=3))
def test_what_is_built_parses_back(action, numbers):
    try:
        data = callbacks.build(callbacks.INVITE, action, *numbers)
    except ValueError:  # too long, or nothing after the prefix
        too_long = len(":".join(["I", action, *map(str, numbers)]).encode()) > callbacks.MAX_BYTES
        assert too_long or not (action or numbers)
        return
    assert callbacks.parse(data, callbacks.INVITE) == Callback("I", action, tuple(numbers))
    assert re.match(callbacks.pattern(callbacks.INVITE), data)


@given(st.text(max_size=80))
def test_any_string_parses_or_is_refused_without_error(data):
    for prefix in ("S", "I", "J", "L", "C", "T", "P"):
        result = callbacks.parse(data, prefix)
        if result is not None:
            assert len(data.encode()) <= 64 and data.startswith(prefix + ":")
