"""The command line before `salonbot migrate`, and on a migrated database without data."""

from __future__ import annotations

import json
import logging

import pytest

from bot.cli import main
from tests.conftest import BACKENDS, drop_pg_database, new_pg_database, pg_url
from tests.imports import cli_config
from tests.updates import COMMUNITY_ID

VERBS = [["stats"], ["stats", "--community-id", str(COMMUNITY_ID)], ["train"], ["evaluate"],
         ["evaluate", "--json"], ["score", "--event-id", "1"]]  # fmt: skip


@pytest.fixture(autouse=True)
def root_logging():
    """Restore the root logger's handlers, which the CLI's setup_logging replaces."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """A database nobody migrated: a SQLite file that does not exist, an empty PG database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = new_pg_database()
    yield pg_url(name)
    drop_pg_database(name)


def _one_line_saying_migrate(err: str) -> bool:
    return err.count("\n") == 1 and "run `salonbot migrate`" in err and "Traceback" not in err


@pytest.mark.parametrize("verb", VERBS)
def test_commands_before_migrate_say_so_in_one_line(tmp_path, empty_db_url, capsys, verb):
    config = cli_config(tmp_path, empty_db_url)
    assert main([*verb, "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and _one_line_saying_migrate(err), err
    assert not (tmp_path / "fresh.db").exists(), "no empty database file is left behind"


def test_import_without_migrate_on_start_says_so(tmp_path, empty_db_url, capsys):
    config = cli_config(tmp_path, empty_db_url)  # migrate_on_start = false
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "members.csv").write_text(f"community_id,user_id\n{COMMUNITY_ID},1\n")
    assert main(["import", "history", str(tmp_path / "h"), "--config", str(config)]) == 2
    assert _one_line_saying_migrate(capsys.readouterr().err)
    assert not (tmp_path / "fresh.db").exists()


def test_a_sqlite_file_without_tables_is_not_a_traceback(tmp_path, capsys):
    (tmp_path / "fresh.db").write_bytes(b"")
    config = cli_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    assert main(["train", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "the database has no tables yet: run `salonbot migrate` first" in err


def test_a_failed_import_that_migrated_a_new_sqlite_file_removes_it(tmp_path, capsys, root_logging):
    path = tmp_path / "fresh.db"
    config = cli_config(tmp_path, f"sqlite+aiosqlite:///{path}")
    config.write_text(config.read_text().replace("migrate_on_start = false", ""))
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "id": 5, "messages": [', encoding="utf-8")
    assert main(["import", "telegram-export", str(bad), "--config", str(config)]) == 2
    assert "is the file complete?" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "config.toml"]


def test_stats_of_a_configured_community_without_data_are_zeros(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    args = ["stats", "--community-id", str(COMMUNITY_ID), "--json", "--config", str(config)]
    assert main(args) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["title"] == "读书会"
    counts = ("members_known", "messages_total", "reactions_total", "new_members")
    assert [stats[name] for name in counts] == [0, 0, 0, 0] and stats["salons"] == []


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_evaluate_without_history_says_what_is_missing(tmp_path, db_url, capsys, json_flag):
    config = cli_config(tmp_path, db_url)
    assert main(["evaluate", *json_flag, "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == "salonbot: cannot evaluate: no members yet (import history or run the bot "
        "in the group)\n"
    )
