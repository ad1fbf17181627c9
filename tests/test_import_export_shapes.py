"""Every shape of a real Telegram export imports (hand-written fixtures in tests/exports/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.models import ActivityDay, GroupMessage, Membership, Reaction, ReactionCount, User
from tests.imports import cli_config, fetch, row_counts
from tests.updates import COMMUNITY_ID

EXPORTS = Path(__file__).parent / "exports"


def _import(tmp_path, db_url, capsys, name: str, *extra: str, store_text: bool = False):
    config = cli_config(tmp_path, db_url, store_text=store_text)
    args = ["import", "telegram-export", str(EXPORTS / name), *extra, "--config", str(config)]
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def _messages(db_url: str, community_id: int) -> dict[int, tuple]:
    rows = fetch(db_url, select(GroupMessage.message_id, GroupMessage.user_id,
                                GroupMessage.reply_to_user_id, GroupMessage.kind,
                                GroupMessage.text, GroupMessage.sent_at)
                 .where(GroupMessage.community_id == community_id))  # fmt: skip
    return {m: rest for m, *rest in rows}


def test_old_2018_export_with_numeric_ids_and_entity_text(tmp_path, db_url, capsys):
    status, out, err = _import(tmp_path, db_url, capsys, "old_2018.json", store_text=True)
    assert status == 0, err
    assert "community -1001180004242 (Reading club): created" in out
    assert "file: 3 messages, 0 reactions, 1 joins, 0 leaves, 2 members" in out
    assert "1 other service messages" in out  # create_group: seen activity of Ann
    messages = _messages(db_url, -1001180004242)
    assert messages[4][:4] == [257344106, 132946021, "text",
                               "thanks, see https://example.org/borges"]  # fmt: skip
    assert messages[4][4] == datetime(2018, 3, 4, 10, 7, 30, tzinfo=UTC)
    assert messages[5][2] == "sticker"
    joined = fetch(db_url, select(Membership.joined_at).where(Membership.user_id == 257344106))
    assert joined == [(datetime(2018, 3, 4, 10, 5, tzinfo=UTC),)]


def test_mid_2021_export_without_unix_times_or_entities(tmp_path, db_url, capsys):
    status, out, err = _import(tmp_path, db_url, capsys, "mid_2021.json", store_text=True)
    assert status == 0, err
    assert "file: 3 messages, 0 reactions, 1 joins, 0 leaves, 2 members" in out
    messages = _messages(db_url, -1001422334455)
    assert messages[812][:3] == [402, 401, "text"]
    assert messages[812][3] == "@chen hi!"
    assert messages[813][2] == "photo"


def test_negative_ids_of_a_group_that_became_a_supergroup(tmp_path, db_url, capsys):
    status, out, err = _import(tmp_path, db_url, capsys, "migrated_supergroup.json")
    assert status == 0, err
    assert "file: 3 messages, 0 reactions, 1 joins, 0 leaves, 2 members" in out
    assert "1 other service messages" in out  # migrate_from_group, sent as the channel
    messages = _messages(db_url, -1001500600700)
    assert set(messages) == {-999814830, -999814827, 2}
    assert messages[-999814827][:2] == [1046157991, 1046157990], "reply to a negative id"
    assert main(["import", "telegram-export", str(EXPORTS / "migrated_supergroup.json"),
                 "--config", str(tmp_path / "config.toml")]) == 0  # fmt: skip
    assert "added: 0 messages, 0 reactions, 0 join/leave events" in capsys.readouterr().out


def test_modern_forum_export_channel_posts_games_reactions_rejoin(tmp_path, db_url, capsys):
    status, out, err = _import(tmp_path, db_url, capsys, "modern_forum.json")
    assert status == 0, err
    cid = -1002233445566
    assert "file: 4 messages, 5 reactions, 2 joins, 1 leaves, 4 members" in out
    assert "2 posts sent as a channel or as the group" in out
    assert "2 of the reactions were members' reactions to those posts (kept)" in out
    assert "4 other service messages" in out  # topic_created, topic_edit, score_in_game, pin
    assert "1 replies to another chat's message" in out
    assert "1 messages repeating an earlier message id: skipped" in out
    assert "2 invited/removed members named without an id" in out
    messages = _messages(db_url, cid)
    assert set(messages) == {101, 105, 107, 108}, "channel posts are no member's messages"
    assert messages[105][2] == "game"
    assert messages[107][1] is None, "a reply to another chat's message links no author"
    reactions = fetch(db_url, select(Reaction.message_id, Reaction.user_id, Reaction.emoji,
                                     Reaction.target_user_id))  # fmt: skip
    assert sorted(reactions, key=str) == sorted([
        (101, 1002, "❤", 1001), (101, 1003, "custom:5368324170671202286", 1001),
        (101, 1002, "paid", 1001), (102, 1002, "👍", None), (102, 1003, "👍", None),
    ], key=str)  # fmt: skip
    totals = dict(fetch(db_url, select(ReactionCount.message_id, ReactionCount.total)))
    assert totals == {101: 8, 102: 7, 103: 3}
    given = dict(fetch(db_url, select(ActivityDay.user_id, ActivityDay.reactions_given)
                       .where(ActivityDay.reactions_given > 0)))  # fmt: skip
    assert given == {1002: 3, 1003: 2}
    ivy = fetch(db_url, select(Membership.is_member, Membership.joined_at)
                .where(Membership.user_id == 1003, Membership.community_id == cid))  # fmt: skip
    assert ivy == [(True, datetime.fromtimestamp(1714726800, UTC))], "left, then came back"
    users = {u for (u,) in fetch(db_url, select(User.id))}
    assert {1001, 1002, 1003, 1004} <= users and 777 not in users and 2233445566 not in users


def test_full_account_export_needs_a_choice_among_several_groups(tmp_path, db_url, capsys):
    status, out, err = _import(tmp_path, db_url, capsys, "full_account.json")
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "3 group chats in this export, choose one with --chat NAME|ID" in err
    for label in ('2233445566 "Forum club"', '4455667 "Old friends"', '3344556677 "Poetry'):
        assert label in err
    assert row_counts(db_url)["messages"] == 0


@pytest.mark.parametrize("choice", [["--chat", "Forum club"], ["--chat", "2233445566"],
                                    ["--chat", "-1002233445566"],
                                    ["--community-id", "2233445566"],
                                    ["--community-id", "-1002233445566"]])  # fmt: skip
def test_full_account_export_chat_by_name_or_id(tmp_path, db_url, capsys, choice):
    status, out, err = _import(tmp_path, db_url, capsys, "full_account.json", *choice)
    assert status == 0, err
    community = 2233445566 if choice == ["--community-id", "2233445566"] else -1002233445566
    assert f"community {community} (Forum club)" in out
    messages = _messages(db_url, community)
    assert set(messages) == {201, 202} and messages[202][1] == 1001


def test_full_account_export_errors_name_the_line_in_that_chat(tmp_path, db_url, capsys):
    args = ("full_account.json", "--chat", "poetry night")  # a left chat, any case
    status, out, err = _import(tmp_path, db_url, capsys, *args)
    assert status == 2
    lines = (EXPORTS / "full_account.json").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if '"id": 51' in text) - 1  # its "{"
    assert f"full_account.json:{line}: messages[1].date_unixtime: 'not a time'" in err
    status, out, err = _import(tmp_path, db_url, capsys, "full_account.json", "--chat", "nope")
    assert status == 2 and "no chat matches 'nope'" in err
    assert row_counts(db_url)["messages"] == 0


def test_absurdly_deep_nesting_is_an_error_with_a_line(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    deep = tmp_path / "deep.json"
    deep.write_text('{"name": "x", "id": 1,\n"messages": [\n' + "[" * 100_000 + "]" * 100_000
                    + "]}", encoding="utf-8")  # fmt: skip
    assert main(["import", "telegram-export", str(deep), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{deep}:3: nested deeper than 200 levels" in err and "Traceback" not in err


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_a_cut_off_export_is_an_error_with_a_line(tmp_path, db_url, capsys, cut):
    config = cli_config(tmp_path, db_url)
    text = (EXPORTS / "modern_forum.json").read_text(encoding="utf-8")
    part = tmp_path / "part.json"
    part.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    assert main(["import", "telegram-export", str(part), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"salonbot: import failed, nothing was written: {part}:")
    assert "is the file complete?" in err
    assert row_counts(db_url)["messages"] == 0


def test_a_message_id_that_is_not_a_number_names_the_field(tmp_path, db_url, capsys):
    data = json.loads((EXPORTS / "mid_2021.json").read_text(encoding="utf-8"))
    data["messages"][2]["id"] = "812"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, indent=1), encoding="utf-8")
    config = cli_config(tmp_path, db_url)
    args = ["import", "telegram-export", str(bad), "--community-id", str(COMMUNITY_ID)]
    assert main([*args, "--config", str(config)]) == 2
    assert "messages[2].id: '812' is not a whole number" in capsys.readouterr().err
