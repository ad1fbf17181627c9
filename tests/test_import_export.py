"""`salonbot import telegram-export`: old and new exports, idempotent, all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.cli import main
from storage.models import ActivityDay, GroupMessage, Membership, ReactionCount, User
from tests.imports import cli_config, export_like_sample, fetch, row_counts, write_json
from tests.updates import COMMUNITY_ID

SAMPLE_CHAT = -100700209719
EMPTY = {"communities": 0, "users": 0, "memberships": 0, "messages": 0, "reactions": 0,
         "member_events": 0, "rollups": 0, "rollup_messages": 0, "rollup_reactions": 0}  # fmt: skip


def test_export_like_the_real_sample_imports_once(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    export = write_json(tmp_path / "result.json", export_like_sample())
    assert main(["import", "telegram-export", str(export), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "community -100700209719 (New): created" in out
    assert "file: 7 messages, 0 reactions, 3 joins, 0 leaves, 5 members" in out
    first = row_counts(db_url)
    assert first == {**EMPTY, "communities": 2, "users": 5, "memberships": 5, "messages": 7,
                     "member_events": 3, "rollups": 4, "rollup_messages": 7}  # fmt: skip
    [(kind, length)] = fetch(
        db_url,
        select(GroupMessage.kind, GroupMessage.length).where(GroupMessage.message_id == 211336),
    )
    assert (kind, length) == ("photo", 0)
    joined = fetch(db_url, select(Membership.joined_at).where(Membership.user_id == 1046157991))
    assert joined == [(datetime.fromtimestamp(1669385721, UTC),)]
    assert main(["import", "telegram-export", str(export), "--config", str(config)]) == 0
    assert "added: 0 messages, 0 reactions, 0 join/leave events" in capsys.readouterr().out
    assert row_counts(db_url) == first


def test_old_export_without_unix_times_reads_local_dates_as_utc(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url, store_text=True)
    data = export_like_sample(new=False)
    data["messages"][4]["text"] = ["see ", {"type": "link", "text": "https://x.org"}, "!"]
    export = write_json(tmp_path / "old.json", data)
    args = ["import", "telegram-export", str(export), "--community-id", str(COMMUNITY_ID)]
    assert main([*args, "--config", str(config)]) == 0
    rows = fetch(db_url, select(GroupMessage.message_id, GroupMessage.sent_at, GroupMessage.text)
                 .where(GroupMessage.community_id == COMMUNITY_ID))  # fmt: skip
    by_id = {m: (at, text) for m, at, text in rows}
    assert len(by_id) == 7
    assert by_id[211337] == (datetime.fromtimestamp(1669385631, UTC), "see https://x.org!")
    assert row_counts(db_url)["communities"] == 1, "the configured community is used"


def test_new_export_with_reactions_replies_channels_invites_and_leaves(tmp_path, db_url):
    config = cli_config(tmp_path, db_url)
    data = export_like_sample()
    messages = data["messages"]
    messages[4]["reply_to_message_id"] = 211335  # 🦖 replies to "."
    messages[4]["reactions"] = [
        {"type": "emoji", "count": 3, "emoji": "👍", "recent": [
            {"from": ".", "from_id": "user5759761889", "date": "2022-11-25T19:20:00"},
            {"from": "Naxalov", "from_id": "user86775091", "date": "2022-11-25T19:21:00"}]},
        {"type": "custom_emoji", "count": 1, "document_id": "5368324170671202286", "recent": []},
    ]  # fmt: skip
    messages.append({"id": 211343, "type": "message", "date": "2022-11-25T20:00:00",
                     "date_unixtime": "1669406400", "from": "News", "from_id": "channel1001",
                     "text": "a channel post", "text_entities": []})  # fmt: skip
    messages.append({"id": 211344, "type": "service", "date": "2022-11-25T20:01:00",
                     "date_unixtime": "1669406460", "actor": "Naxalov", "actor_id": "user86775091",
                     "action": "invite_members", "members": ["Jalilov", "Unknown person"],
                     "text": ""})  # fmt: skip
    messages.append({"id": 211345, "type": "service", "date": "2022-11-25T21:00:00",
                     "date_unixtime": "1669410000", "actor": ".", "actor_id": "user5759761889",
                     "action": "remove_members", "members": ["."], "text": ""})  # fmt: skip
    export = write_json(tmp_path / "new.json", data)
    assert main(["import", "telegram-export", str(export), "--config", str(config)]) == 0
    counts = row_counts(db_url)
    assert (counts["messages"], counts["reactions"], counts["member_events"]) == (7, 2, 5)
    assert counts["rollup_reactions"] == 2
    rollups = fetch(
        db_url,
        select(
            ActivityDay.user_id,
            ActivityDay.replies_sent,
            ActivityDay.replies_received,
            ActivityDay.reactions_given,
        ),
    )
    by_user = {u: (sent, received, given) for u, sent, received, given in rollups}
    assert by_user[1156660166][:2] == (1, 0)
    assert by_user[5759761889] == (0, 1, 1)
    [(total, counts_json)] = fetch(db_url, select(ReactionCount.total, ReactionCount.counts))
    assert (total, counts_json) == (4, {"👍": 3, "custom:5368324170671202286": 1})
    membership = fetch(db_url, select(Membership.is_member, Membership.left_at)
                       .where(Membership.user_id == 5759761889))  # fmt: skip
    assert membership == [(False, datetime.fromtimestamp(1669410000, UTC))]
    names = dict(fetch(db_url, select(User.id, User.first_name)))
    assert names[1868330241] == "@𝐑𝐮𝐬𝐭𝐚𝐦𝐁𝐞𝐤"
    assert 1001 not in names, "channels are not members"


def test_truncated_export_exits_2_and_writes_nothing(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    text = write_json(tmp_path / "full.json", export_like_sample()).read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    assert main(["import", "telegram-export", str(cut), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{cut}:" in err and "not valid JSON" in err and "nothing was written" in err
    assert row_counts(db_url) == EMPTY


def test_a_bad_value_late_in_the_file_aborts_everything(tmp_path, db_url, capsys):
    config = cli_config(tmp_path, db_url)
    data = export_like_sample()
    data["messages"][8]["date_unixtime"] = "yesterday"
    export = write_json(tmp_path / "bad.json", data)
    assert main(["import", "telegram-export", str(export), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(export.read_text().splitlines(), 1) if "211341" in text)
    assert f"{export}:{line - 1}: messages[8].date_unixtime: 'yesterday' is not a valid time" in err
    assert row_counts(db_url) == EMPTY
