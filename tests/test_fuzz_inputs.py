"""Fuzzing files with Hypothesis: history CSV rows, Telegram export fragments, config files.

A bad import exits 2 naming file:line (and the field) and writes nothing; a config is either
a valid `Config` or a `ConfigError`, never another exception.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.common.config import Config, ConfigError, load_config, parse_config
from storage.db import create_engine, session_factory
from tests.conftest import TOKEN
from tests.imports import cli_config, export_like_sample, write_json
from tests.privacy_helpers import table_counts
from tests.updates import COMMUNITY_ID

FILES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
_runs = itertools.count()
PROVIDER_TOKEN = "284685063:TEST:ZjQ5NGE2MzQ1Mzkz"


def counts(db_url: str) -> dict[str, int]:
    """Rows in every table."""

    async def run() -> dict[str, int]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine).begin() as session:
                return await table_counts(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


class Importer:
    """Runs `salonbot import` in-process and keeps the row counts of the last good state."""

    def __init__(self, tmp_path, db_url: str) -> None:
        self.tmp_path, self.db_url = tmp_path, db_url
        self.config = cli_config(tmp_path, db_url, store_text=True)
        self.baseline: dict[str, int] | None = None

    def run(self, capsys, *args: str, where: str) -> None:
        """Import; a failure must name `where`:line and leave every table as it was."""
        if self.baseline is None:
            self.baseline = counts(self.db_url)
        capsys.readouterr()
        status = main(["import", *args, "--config", str(self.config)])
        err = capsys.readouterr().err
        assert status in (0, 2), err
        if status == 0:
            self.baseline = None  # something was imported: the next run counts afresh
            return
        assert re.search(rf"{re.escape(where)}:\d+: ", err), err
        assert "nothing was written" in err
        assert counts(self.db_url) == self.baseline, err


def _field(*samples: str):
    return st.one_of(st.sampled_from(samples), TEXT)


ROW = st.tuples(
    _field(str(COMMUNITY_ID), "-100777", "abc", ""),
    _field("11", "0", "-5", "9" * 25, ""),
    _field("2026-01-05T10:00:00Z", "2026-01-05 10:00", "9999-99-99T00:00:00Z", ""),
    _field("3", "-1", "x", ""),
    _field("11", "12", "1.5", ""),
    TEXT,
)


@FILES
@given(row=ROW, raw=st.booleans())
@example(row=(str(COMMUNITY_ID), "9" * 25, "2026-01-05T10:00:00Z", "3", "11", ""), raw=False)
@example(row=(str(COMMUNITY_ID), "11", "2026-01-05T10:00:00Z", "9" * 12, "", ""), raw=False)
def test_history_csv_rows(tmp_path, db_url, capsys, row, raw):
    importer = Importer(tmp_path, db_url)
    folder = tmp_path / f"h{next(_runs)}"
    folder.mkdir()
    (folder / "members.csv").write_text(
        f"community_id,user_id,name\n{COMMUNITY_ID},11,Ann\n", encoding="utf-8"
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["community_id", "user_id", "sent_at", "length", "reply_to_user_id", "text"])
    writer.writerow([COMMUNITY_ID, 11, "2026-01-05T09:00:00Z", 2, "", "hi"])
    if raw:  # a line written by hand, quotes and all
        out.write(",".join(row) + "\n")
    else:
        writer.writerow(row)
    (folder / "messages.csv").write_text(out.getvalue(), encoding="utf-8")
    importer.run(capsys, "history", str(folder), where="messages.csv")


def test_members_csv_with_a_digit_int_cannot_read(tmp_path, db_url, capsys):
    importer = Importer(tmp_path, db_url)
    folder = tmp_path / "digits"
    folder.mkdir()
    (folder / "members.csv").write_text("community_id,user_id\n²,11\n", encoding="utf-8")
    importer.run(capsys, "history", str(folder), where="members.csv")


KEYS = ["id", "type", "date", "date_unixtime", "from", "from_id", "text", "text_entities",
        "reply_to_message_id", "reactions", "actor_id", "action", "edited_unixtime",
        "forwarded_from", "members"]  # fmt: skip


@FILES
@given(index=st.integers(0, 9), key=st.sampled_from(KEYS), value=JSON, top=st.booleans())
@example(index=2, key="from_id", value="user²", top=False)  # isdigit() but not int()
@example(index=0, key="action", value=[], top=False)  # once a TypeError (unhashable)
@example(index=2, key="id", value=False, top=False)  # bool is an int: once a database error
@example(index=0, key="id", value=True, top=True)  # once int("-100True")
def test_telegram_export_fragments(tmp_path, db_url, capsys, index, key, value, top):
    importer = Importer(tmp_path, db_url)
    data = export_like_sample()
    if top:
        data[key if key in ("id", "type") else "messages"] = value
    else:
        data["messages"][index][key] = value
    path = write_json(tmp_path / f"e{next(_runs)}.json", data)
    importer.run(capsys, "telegram-export", str(path), where=path.name)


SECTIONS = {
    name: list(info.annotation.model_fields)
    for name, info in Config.model_fields.items()
    if isinstance(info.annotation, type) and hasattr(info.annotation, "model_fields")
}
VALUE = st.one_of(
    JSON,
    st.sampled_from(
        [
            0,
            -1,
            1,
            10**30,
            0.5,
            float("nan"),
            "",
            "x",
            "22:00",
            "25:99",
            "UTC",
            "Mars/Olympus",
            "sqlite+aiosqlite:///x.db",
            "0 3 * * *",
            "* * *",
            "webhook",
            TOKEN,
            "1:a b",
        ]
    ),  # fmt: skip
    st.times(),
    st.datetimes(),
    st.dates(),
)


@st.composite
def config_data(draw) -> dict:
    """A config mapping with random values for known keys (and sometimes an unknown one)."""
    data: dict = {"telegram": {"token": TOKEN}}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=4, unique=True)):
        keys = draw(st.lists(st.sampled_from(SECTIONS[section]), max_size=3, unique=True))
        data.setdefault(section, {}).update({k: draw(VALUE) for k in keys})
    if draw(st.booleans()):
        community = {"chat_id": COMMUNITY_ID, "title": "T"}
        for key in draw(
            st.lists(
                st.sampled_from(["chat_id", "title", "timezone", "language", "organizers"]),
                max_size=3,
            )
        ):
            community[key] = draw(VALUE)  # fmt: skip
        data["communities"] = [community]
    if draw(st.booleans()):
        data[draw(st.sampled_from(sorted(SECTIONS)))] = draw(VALUE)  # a section that is no table
    return data


ENVIRONMENTS = st.sampled_from([
    {}, {"SALONBOT_TOKEN": TOKEN, "SALONBOT_PAYMENTS_PROVIDER_TOKEN": PROVIDER_TOKEN}])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(data=config_data(), env=ENVIRONMENTS)
def test_config_values_give_a_config_or_a_config_error(data, env):
    try:
        config = parse_config(data, env=env)
    except ConfigError as error:
        message = str(error)
        # The message starts with the key it is about (a section, or a quoted odd key).
        assert re.match(r"^(\w+|'[^']*'|\"[^\"]*\")(\.(\w+|'.*'|\".*\"))*: ", message), message
        assert message.split(".")[0].split(":")[0] in {*SECTIONS, "communities"}, message
        assert TOKEN.split(":")[1] not in message and PROVIDER_TOKEN not in message
    else:
        assert isinstance(config, Config)
        assert TOKEN not in repr(config) and PROVIDER_TOKEN not in repr(config)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(text=st.text(max_size=200), prefix=st.sampled_from(["", "[telegram]\n", "[schedule]\n"]))
def test_config_files_give_a_config_or_a_config_error(tmp_path, text, prefix):
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///x.db"\n{prefix}{text}',
                    encoding="utf-8")  # fmt: skip
    try:
        config = load_config(path, require_token=False)
    except ConfigError as error:
        assert str(error), "a config error says what is wrong"
    else:
        assert isinstance(config, Config)
