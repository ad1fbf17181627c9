"""Fuzzing the handlers with Hypothesis: untrusted button data, deep links, command arguments.

Properties for every input: no exception reaches the error handler, the user gets an answer
(a message or an answered button), and input that is not valid writes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.salons.input import InputError, parse_one_liner
from tests.conftest import make_config
from tests.organizer import stored_salon
from tests.privacy_helpers import all_counts
from tests.updates import EN_USER, ORGANIZER, callback, message

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MEMBER = {**EN_USER, "id": 8080, "first_name": "Fuzz"}
# Callback data a member may legitimately send that does write (their own privacy choices).
VALID_PRIVACY = {"P:trk:0", "P:trk:1", "P:inv:0", "P:inv:1", "P:del:yes"}
ANSWERS = ("sendMessage", "answerCallbackQuery", "editMessageText", "sendDocument")
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


def callback_data(prefix: str = ""):
    """Any string of at most 64 UTF-8 bytes (Telegram's limit), after `prefix`."""
    return TEXT.map(lambda s: prefix + s).filter(lambda s: 0 < len(s.encode()) <= 64)


@pytest.fixture
def config(db_url):
    """No command limit: the fuzzer sends hundreds of updates as one user."""
    return make_config(db_url, limits={"commands_per_user": 100_000, "window_seconds": 1})


@pytest.fixture
async def fuzz_app(app, db, fake_request):
    """The app with a published salon, a registered member and a spy on the error handler."""
    errors: list[BaseException] = []

    async def spy(_update, context) -> None:
        errors.append(context.error)

    app.add_error_handler(spy)
    app.bot_data.fuzz_salon = await stored_salon(db)
    await app.process_update(message("/start", MEMBER, bot=app.bot))
    await app.process_update(message("/start", ORGANIZER, bot=app.bot))
    app.bot_data.fuzz_errors = errors
    app.bot_data.fuzz_counts = await all_counts(db)
    return app


async def send(app, db, fake_request, update) -> tuple[dict, dict, list]:
    """Process one update; (row counts before, after, the answering calls)."""
    before = app.bot_data.fuzz_counts  # the counts after the previous example
    app.bot_data.fuzz_errors.clear()  # a failure is reported once, with its own input
    calls = len(fake_request.calls)
    await app.process_update(update)
    assert app.bot_data.fuzz_errors == [], repr(update.to_dict())
    answers = [c for c in fake_request.calls[calls:] if c.method in ANSWERS]
    assert answers, repr(update.to_dict())
    app.bot_data.fuzz_counts = await all_counts(db)
    return before, app.bot_data.fuzz_counts, answers


@FUZZ
@given(data=st.one_of(*(callback_data(p) for p in ("J:", "L:", "C:", "S:", "I:", "P:", ""))))
@example(data="J:²")  # isdigit() but not int(): once an exception in the handler
@example(data="C:³")
async def test_member_button_data(fuzz_app, db, fake_request, data):
    assume(data not in VALID_PRIVACY)
    # The member may really join salon 1 (J:1, also written with other Unicode digits).
    digits = data[2:]
    assume(not (data[:2] == "J:" and digits.isdecimal() and int(digits) == 1))
    update = callback(data, MEMBER, bot=fuzz_app.bot)
    before, after, _answers = await send(fuzz_app, db, fake_request, update)
    assert after == before, data


@FUZZ
@given(data=st.one_of(*(callback_data(p) for p in ("S:", "I:", "S:n:", "I:pv:"))))
async def test_organizer_button_data(fuzz_app, db, fake_request, data):
    # The organizer owns salon 1 (and no member has signed up): only the forms that act on it
    # (cancel, publish, discard, send invitations) may write; nothing else may.
    assume(not data.startswith(("S:X:1", "S:pub:1", "S:drop:1", "I:go:1")))
    update = callback(data, ORGANIZER, bot=fuzz_app.bot)
    before, after, _answers = await send(fuzz_app, db, fake_request, update)
    assert after == before, data
    await fuzz_app.process_update(message("/cancel", ORGANIZER, bot=fuzz_app.bot))


@FUZZ
@given(command=st.sampled_from(["/start", "/join", "/leave", "/here"]), argument=TEXT)
@example(command="/join", argument="²")  # isdigit() but not int(): once an exception
@example(command="/leave", argument="¹")
@example(command="/join", argument="\x00")  # PostgreSQL text cannot hold NUL: once an exception
@example(command="/here", argument="AB\x00")
async def test_member_command_arguments_and_deep_links(fuzz_app, db, fake_request, command,
                                                       argument):  # fmt: skip
    # The member may really join salon 1 (/join 1, or its code).
    salon = fuzz_app.bot_data.fuzz_salon
    ref = argument.split()[0].upper() if len(argument.split()) == 1 else ""
    names_salon = ref == salon.short_code or (ref.isascii() and ref.isdigit()
                                              and int(ref) == salon.id)  # fmt: skip
    assume(not (command == "/join" and names_salon))
    update = message(f"{command} {argument}", MEMBER, bot=fuzz_app.bot)
    before, after, _answers = await send(fuzz_app, db, fake_request, update)
    assert after == before, argument


@FUZZ
@given(
    parts=st.lists(
        st.one_of(TEXT, st.sampled_from(["2031-02-03 19:30", "10", "0", "-1", "x", "📍"])),
        max_size=6,
    )
)
async def test_newsalon_one_liner(fuzz_app, db, fake_request, parts):
    args = " | ".join(parts)
    update = message(f"/newsalon {args}", ORGANIZER, bot=fuzz_app.bot)
    before, after, _answers = await send(fuzz_app, db, fake_request, update)
    try:
        parse_one_liner(args)
        parsed = True
    except InputError:
        parsed = False
    grown = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert grown in ({}, {"salons": 1}), args
    assert parsed or not grown, args
    await fuzz_app.process_update(message("/cancel", ORGANIZER, bot=fuzz_app.bot))


@FUZZ
@given(arguments=st.lists(st.one_of(TEXT.filter(lambda s: s.strip()), st.sampled_from(
    ["min=0.2", "max=5", "segments=core", "min=-1", "max=x", "min=nan", "max=1e309"])),
    max_size=4))  # fmt: skip
async def test_invite_arguments(fuzz_app, db, fake_request, arguments):
    update = message(" ".join(["/invite", *arguments]), ORGANIZER, bot=fuzz_app.bot)
    before, after, _answers = await send(fuzz_app, db, fake_request, update)
    assert after == before, arguments
