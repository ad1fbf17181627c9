"""/stats and /export through the real application: both languages, refusals, the group."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import make_config
from tests.organizer import ZH_ORGANIZER, alerts, buttons
from tests.stats_helpers import seed_community
from tests.test_stats_storage import expected
from tests.updates import COMMUNITY_ID, EN_USER, GROUP, ORGANIZER, callback_query, message

PNG = b"\x89PNG\r\n\x1a\n"


async def say(app, text, user=ORGANIZER, chat=None):
    await app.process_update(message(text, user, chat, bot=app.bot))


def photos(call) -> list[bytes]:
    """The PNG files attached to a sendMediaGroup / sendPhoto call."""
    if call.method == "sendPhoto":
        return [call.params["photo"]["data"]]
    return [call.params[m["media"].removeprefix("attach://")]["data"] for m in call.params["media"]]


@pytest.mark.parametrize(
    ("user", "lines"),
    [
        (
            ORGANIZER,
            (
                "Members known: {members_known}; reachable by private message: {members_reachable}",
                "Active (wrote or reacted): {active_members_7d} in 7 "
                "days, {active_members_30d} in 30 days.",
                "Messages: {messages_period} (",
                "New members: {new_members}; left: {departed_members}.",
                "too early to tell",
                "AUC on the last backtest 0.81 (popularity baseline 0.70)",
                "Revenue: no payments in this period.",
            ),
        ),
        (
            ZH_ORGANIZER,
            (
                "已知成员：{members_known}；可私信触达：{members_reachable}",
                "近 7 天 {active_members_7d} 人，近 30 天 {active_members_30d} 人",
                "消息：{messages_period}（",
                "新成员：{new_members}；离开：{departed_members}。",
                "目前还无法判断",
                "最近回测 AUC 0.81（热度基线 0.70）",
                "收入：本期没有付款。",
            ),
        ),
    ],
)
async def test_stats_in_both_languages(app, fake_request, db, user, lines):
    facts = await seed_community(db)
    await say(app, "/stats", user)
    want = expected(facts)
    (text,) = fake_request.sent_texts(user["id"])
    for line in lines:
        assert line.format(**want) in text, (line, text)
    (album,) = fake_request.calls_to("sendMediaGroup", chat_id=user["id"])
    pngs = photos(album)
    assert len(pngs) == 4 and all(p.startswith(PNG) and len(p) > 10_000 for p in pngs)


async def test_non_organizers_are_refused(app, fake_request, db):
    await seed_community(db)
    await say(app, "/stats", EN_USER)
    await say(app, "/export", EN_USER)
    refusal = "Only organizers of a community can do that."
    assert fake_request.sent_texts(EN_USER["id"]) == [refusal, refusal]
    await app.process_update(callback_query(f"T:s:{COMMUNITY_ID}:30", EN_USER, bot=app.bot))
    await app.process_update(callback_query(f"T:x:{COMMUNITY_ID}", EN_USER, bot=app.bot))
    await app.process_update(callback_query("T:s:abc", ORGANIZER, bot=app.bot))
    await app.process_update(callback_query(f"T:x:{COMMUNITY_ID}:30", ORGANIZER, bot=app.bot))
    assert alerts(fake_request) == [refusal, refusal] + ["This button is no longer valid."] * 2
    assert not fake_request.calls_to("sendMediaGroup")
    assert not fake_request.calls_to("sendDocument")


async def test_the_group_answer_is_a_button_to_the_private_chat(app, fake_request, db):
    await seed_community(db)
    await say(app, "/stats", ORGANIZER, GROUP)
    call = fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID)[-1]
    url = f"https://t.me/salon_test_bot?start=stats_{COMMUNITY_ID}"
    assert list(buttons(call).values()) == [url]
    assert not fake_request.calls_to("sendMediaGroup")
    app.bot_data.dispatcher.last_sent.clear()  # the group's pace (test_group_pace.py) allows
    await say(app, "/stats", EN_USER, GROUP)
    assert (
        fake_request.sent_texts(COMMUNITY_ID)[-1] == "Only organizers of a community can do that."
    )
    # The button's deep link shows the figures in the private chat.
    await say(app, f"/start stats_{COMMUNITY_ID}", ORGANIZER)
    assert fake_request.calls_to("sendMediaGroup", chat_id=ORGANIZER["id"])
    await say(app, f"/start stats_{COMMUNITY_ID}", EN_USER)
    assert not fake_request.calls_to("sendMediaGroup", chat_id=EN_USER["id"])


async def test_one_salon_and_bad_arguments(app, fake_request, db):
    facts = await seed_community(db)
    await say(app, f"/stats {facts.codes['past'].lower()}")
    text = fake_request.sent_texts(ORGANIZER["id"])[-1]
    assert "invited 6, holdout 4; joined 5 (by invitation 2, by themselves 3); waitlist 1" in text
    assert "attended 3, no-show 1 (attendance 75%); rated 2, average 4.5" in text
    assert "predicted signups of the invited 1.8, actual 2" in text
    (photo,) = fake_request.calls_to("sendPhoto", chat_id=ORGANIZER["id"])
    assert photos(photo)[0].startswith(PNG)
    await say(app, "/stats 400")
    assert (
        fake_request.sent_texts(ORGANIZER["id"])[-1]
        == "The period is 1 to 366 days, e.g. /stats 90."
    )
    await say(app, "/stats NOPE99")
    assert "does not exist" in fake_request.sent_texts(ORGANIZER["id"])[-1]
    await say(app, "/stats 7 90")
    assert fake_request.sent_texts(ORGANIZER["id"])[-1].startswith("Send /stats for the last")
    await say(app, "/stats 7")
    assert "the last 7 days" in fake_request.sent_texts(ORGANIZER["id"])[-1]


async def test_export_sends_five_csv_files(app, fake_request, db):
    facts = await seed_community(db)
    await say(app, "/export")
    docs = {
        c.params["document"]["filename"]: c.params["document"]["data"]
        for c in fake_request.calls_to("sendDocument", chat_id=ORGANIZER["id"])
    }
    assert sorted(docs) == [
        "campaigns.csv", "members.csv", "payments.csv", "salons.csv", "signups.csv"]  # fmt: skip
    table = {n: list(csv.DictReader(io.StringIO(d.decode("utf-8-sig")))) for n, d in docs.items()}
    members = {int(r["user_id"]): r for r in table["members.csv"]}
    assert len(members) == 12  # every human ever seen, the member who left included
    assert members[2007]["is_member"] == "0" and members[2001]["segment"] == "core"
    # Drafts are not exported; the salons' funnels are.
    assert {r["code"] for r in table["salons.csv"]} == {
        facts.codes[k] for k in ("past", "next", "old", "cancelled")
    }
    past = next(r for r in table["salons.csv"] if r["code"] == facts.codes["past"])
    assert (past["invited"], past["holdout"], past["joined"]) == ("6", "4", "5")
    assert len(table["signups.csv"]) == sum(len(v) for v in facts.signups.values())
    assert {"rating", "comment"} <= set(table["signups.csv"][0])  # feedback reaches organizers
    (campaign,) = table["campaigns.csv"]
    assert (campaign["invited_signups"], campaign["holdout_signups"]) == ("2", "3")
    assert campaign["verdict"] == "unclear"


@pytest.fixture
def two_communities(db_url):
    second = {
        "chat_id": -1009999,
        "title": "Second",
        "timezone": "UTC",
        "language": "en",
        "organizers": [ORGANIZER["id"]],
    }
    first = {
        "chat_id": COMMUNITY_ID,
        "title": "读书会",
        "timezone": "Asia/Shanghai",
        "language": "zh",
        "organizers": [ORGANIZER["id"]],
    }
    return make_config(db_url, communities=[first, second])


@pytest.fixture
def config(request, db_url):
    if "two" in request.node.name:
        return request.getfixturevalue("two_communities")
    return make_config(db_url)


async def test_two_communities_choose_by_button_or_argument(app, fake_request, db):
    await seed_community(db)
    await say(app, "/stats 7")
    markup = buttons(fake_request.calls_to("sendMessage", chat_id=ORGANIZER["id"])[-1])
    assert markup == {"读书会": f"T:s:{COMMUNITY_ID}:7", "Second": "T:s:-1009999:7"}
    await app.process_update(callback_query(f"T:s:{COMMUNITY_ID}:7", ORGANIZER, bot=app.bot))
    assert "读书会: the last 7 days" in fake_request.sent_texts(ORGANIZER["id"])[-1]
    await say(app, "/stats second")
    assert "Second: the last 30 days" in fake_request.sent_texts(ORGANIZER["id"])[-1]
    assert len(fake_request.calls_to("sendMediaGroup")) == 2
