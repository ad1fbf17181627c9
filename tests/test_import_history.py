"""`salonbot import history DIR`: CSV members, messages and reactions; idempotent, atomic."""

from __future__ import annotations

from sqlalchemy import select

from bot.cli import main
from storage.importers.history import HISTORY_FILES
from storage.models import ActivityDay, Membership, Signup, User
from tests.imports import cli_config, fetch, row_counts
from tests.updates import COMMUNITY_ID

C = COMMUNITY_ID
MEMBERS = f"""community_id,user_id,name,joined_at
{C},11,Ann,2026-01-01T08:00:00Z
{C},12,"Bo, the second",
{C},13,,2026-01-02T09:30:00+08:00
"""
MESSAGES = f"""community_id,user_id,sent_at,length,reply_to_user_id,text
{C},11,2026-01-05T10:00:00Z,,,"hello, all"
{C},12,2026-01-05T10:05:00+00:00,3,11,
{C},12,2026-01-05T23:59:59Z,,,"multi
line"
{C},14,2026-01-06T01:00:00Z,7,,
"""
REACTIONS = f"""community_id,user_id,reacted_at,target_user_id,emoji
{C},13,2026-01-05T10:06:00Z,12,👍
{C},11,2026-01-05T10:07:00Z,,
"""


def write(directory, **files):
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def test_history_imports_members_messages_and_reactions_once(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    folder = write(tmp_path / "h", members=MEMBERS, messages=MESSAGES, reactions=REACTIONS,
                   venues="venue_id\n1\n")  # fmt: skip
    assert main(["import", "history", str(folder), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "members.csv: 3 rows, 2 new" in out  # two join events; Bo has no join time
    assert "messages.csv: 4 rows, 4 new" in out and "reactions.csv: 2 rows, 2 new" in out
    assert "venues.csv: ignored" in out
    first = row_counts(db_url)
    assert (first["users"], first["memberships"], first["messages"]) == (4, 4, 4)
    assert (first["reactions"], first["member_events"], first["rollup_messages"]) == (2, 2, 4)
    rollups = fetch(db_url, select(ActivityDay.user_id, ActivityDay.day, ActivityDay.messages,
                                   ActivityDay.chars, ActivityDay.replies_sent,
                                   ActivityDay.replies_received, ActivityDay.reactions_given,
                                   ActivityDay.reactions_received, ActivityDay.h23)
                    .order_by(ActivityDay.user_id, ActivityDay.day))  # fmt: skip
    assert [(u, d.isoformat(), *rest) for u, d, *rest in rollups] == [
        (11, "2026-01-05", 1, 10, 0, 1, 1, 0, 0),
        (12, "2026-01-05", 2, 3 + 10, 1, 0, 0, 1, 1),
        (13, "2026-01-05", 0, 0, 0, 0, 1, 0, 0),
        (14, "2026-01-06", 1, 7, 0, 0, 0, 0, 0),
    ]
    names = dict(fetch(db_url, select(User.id, User.first_name)))
    assert names[12] == "Bo, the second"
    seen = {u: (first.isoformat(), last.isoformat(), joined) for u, first, last, joined in fetch(
        db_url, select(Membership.user_id, Membership.first_seen_at, Membership.last_seen_at,
                       Membership.joined_at))}  # fmt: skip
    assert seen[12][:2] == ("2026-01-05T10:05:00+00:00", "2026-01-05T23:59:59+00:00")
    assert seen[13][2].isoformat() == "2026-01-02T01:30:00+00:00"
    assert main(["import", "history", str(folder), "--config", str(config)]) == 0
    assert "messages.csv: 4 rows, 0 new" in capsys.readouterr().out
    assert row_counts(db_url) == first


def test_a_bad_row_aborts_the_whole_history_import(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    bad = MESSAGES.replace("2026-01-06T01:00:00Z", "2026-01-06 01:00")
    folder = write(tmp_path / "h", members=MEMBERS, messages=bad, reactions=REACTIONS)
    assert main(["import", "history", str(folder), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'messages.csv'}:6: sent_at: '2026-01-06 01:00' has no UTC offset" in err
    assert row_counts(db_url)["users"] == 0 and row_counts(db_url)["memberships"] == 0


def test_history_errors_name_file_line_and_field(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    cases = [
        ({"messages": MESSAGES}, "members.csv: required file is missing"),
        ({"members": MEMBERS.replace(f"{C},11,Ann", "-1001,11,Ann")},
         "members.csv:2: community_id: community -1001 is not configured"),
        ({"members": MEMBERS, "messages": MESSAGES.replace(",3,11,", ",three,11,")},
         "messages.csv:3: length: invalid literal"),
        ({"members": MEMBERS, "reactions": "community_id,user_id,when\n"},
         "reactions.csv:1: when: unknown column"),
        ({"members": MEMBERS, "reactions": "community_id,user_id\n"},
         "reactions.csv:1: reacted_at: required column is missing"),
        ({"members": MEMBERS + f'{C},15,"unterminated\n'}, "members.csv:5: malformed CSV"),
        ({"members": MEMBERS + f"{C},15\n"},
         "members.csv:5: name: missing: 2 fields where the header has 4"),
    ]  # fmt: skip
    for number, (files, expected) in enumerate(cases):
        folder = write(tmp_path / f"case{number}", **files)
        assert main(["import", "history", str(folder), "--config", str(config)]) == 2, expected
        assert expected in capsys.readouterr().err
    assert row_counts(db_url)["users"] == 0


def test_history_files_are_one_ordered_list():
    assert [(f.name, f.required) for f in HISTORY_FILES] == [
        ("members.csv", True), ("events.csv", False), ("signups.csv", False),
        ("messages.csv", False), ("reactions.csv", False),
    ]  # fmt: skip


EVENTS = f"""event_id,community_id,title,starts_at,tags,capacity
ev-1,{C},Reading night,2026-01-10T12:00:00Z,books;zh,20
"""
SIGNUPS = """event_id,user_id,response,responded_at,attended
ev-1,11,yes,2026-01-08T08:00:00Z,1
ev-1,12,no,2026-01-08T09:00:00Z,
"""


def test_history_imports_salons_and_signups_with_the_members(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    folder = write(tmp_path / "h", members=MEMBERS, events=EVENTS, signups=SIGNUPS)
    assert main(["import", "history", str(folder), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "events.csv: 1 rows, 1 new" in out and "signups.csv: 2 rows, 2 new" in out
    assert main(["import", "history", str(folder), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "events.csv: 1 rows, 0 new" in out and "signups.csv: 2 rows, 0 new" in out
    statuses = fetch(db_url, select(Signup.user_id, Signup.status, Signup.attended)
                     .order_by(Signup.user_id))  # fmt: skip
    assert [tuple(r) for r in statuses] == [(11, "going", True), (12, "declined", None)]


def test_unknown_communities_are_an_error_unless_created(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    other = MEMBERS.replace(str(C), "-100777")
    folder = write(tmp_path / "h", members=other)
    assert main(["import", "history", str(folder), "--config", str(config)]) == 2
    assert "-100777 is not configured" in capsys.readouterr().err
    assert row_counts(db_url)["memberships"] == 0
    assert main(["import", "history", str(folder), "--config", str(config),
                 "--create-communities"]) == 0  # fmt: skip
    assert row_counts(db_url)["memberships"] == 3
