"""`salonbot import history`: one reader for every file (encodings, columns, ragged rows)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.models import Salon, Signup, User
from tests.imports import cli_config, fetch, row_counts
from tests.updates import COMMUNITY_ID

C = COMMUNITY_ID
MEMBERS = f"community_id,user_id,name\n{C},11,王小明\n{C},12,李雷\n"
EVENTS = (
    "event_id,community_id,title,starts_at,tags\n"
    + f"ev-1,{C},读书会：三体,2026-01-10T12:00:00Z,书;科幻\n"
)
SIGNUPS = "event_id,user_id,response,responded_at,attended\nev-1,11,yes,2026-01-08T08:00:00Z,1\n"


def _write(folder, encoding: str, **files: str):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return folder


def _run(tmp_path, db_url, folder) -> int:
    config = cli_config(tmp_path, db_url)
    return main(["import", "history", str(folder), "--config", str(config)])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_every_file_reads_utf8_with_or_without_bom_and_gb18030(tmp_path, db_url, capsys, encoding):
    folder = _write(tmp_path / "h", encoding, members=MEMBERS, events=EVENTS, signups=SIGNUPS)
    assert _run(tmp_path, db_url, folder) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "events.csv: 1 rows, 1 new" in out and "signups.csv: 1 rows, 1 new" in out
    assert fetch(db_url, select(Salon.title, Salon.tags)) == [("读书会：三体", "书;科幻")]
    names = dict(fetch(db_url, select(User.id, User.first_name)))
    assert (names[11], names[12]) == ("王小明", "李雷")
    assert fetch(db_url, select(Signup.user_id, Signup.attended)) == [(11, True)]


def test_a_file_in_neither_encoding_is_refused_with_how_to_resave(tmp_path, db_url, capsys):
    folder = _write(tmp_path / "h", "utf-8", members=MEMBERS)
    (folder / "events.csv").write_bytes(EVENTS.encode("utf-8") + "ev-2,Café\n".encode("cp1252"))
    assert _run(tmp_path, db_url, folder) == 2
    err = capsys.readouterr().err
    assert "events.csv:3: neither UTF-8 nor GB18030/GBK text; re-save it as UTF-8" in err
    assert "CSV UTF-8 (Comma delimited)" in err and "Traceback" not in err
    assert row_counts(db_url)["users"] == 0


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"signups": SIGNUPS.replace("attended", "attend")},
         "signups.csv:1: attend: unknown column (expected event_id, user_id, response, "
         "responded_at, attended)"),
        ({"events": EVENTS.replace("tags", "tag")}, "events.csv:1: tag: unknown column"),
        ({"events": EVENTS.replace(",tags", ",tags,tags")},
         "events.csv:1: tags: column named twice"),
        ({"signups": SIGNUPS + "ev-1,12,no,2026-01-08T09:00:00Z,0,extra\n"},
         "signups.csv:3: column 6: extra field: 6 fields where the header has 5"),
        ({"events": EVENTS + f"ev-2,{C},Short\n"},
         "events.csv:3: starts_at: missing: 3 fields where the header has 5"),
        ({"members": MEMBERS + f"{C},13,Ann,oops\n"}, "members.csv:4: column 4: extra field"),
        ({"signups": "event_id,user_id,response,responded_at,\n"},
         "signups.csv:1: column 5: column without a name"),
    ],
)  # fmt: skip
def test_column_mistakes_in_any_file_name_file_line_and_column(
    tmp_path, db_url, capsys, files, expected
):
    folder = _write(tmp_path / "h", "utf-8", **{"members": MEMBERS, "events": EVENTS,
                                                  "signups": SIGNUPS, **files})  # fmt: skip
    assert _run(tmp_path, db_url, folder) == 2
    err = capsys.readouterr().err
    assert expected in err and "nothing was written" in err and "Traceback" not in err
    assert row_counts(db_url)["users"] == 0
    assert fetch(db_url, select(Salon.id)) == []
