"""Check-in: the organizer's toggles and attendee list, /here CODE, the no-show job."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from bot.attendance.links import checkin_payload
from bot.common.context import Context
from bot.jobs import mark_no_shows_job
from storage.attendance import mark_no_shows
from storage.models import Signup
from storage.models.salons import GOING, OFFERED, SALON_CANCELLED, SALON_DRAFT, WAITLIST
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    stored_salon,
    stored_signup,
)
from tests.updates import EN_USER, ORGANIZER, ZH_USER, callback_query, message

ME = ORGANIZER["id"]
WAITING = {
    "id": 1004,
    "is_bot": False,
    "first_name": "Wei",
    "username": "wei",
    "language_code": "en",
}


async def say(app, text, user):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def signups(db, salon_id) -> dict[int, Signup]:
    async with db.begin() as session:
        rows = await session.scalars(select(Signup).where(Signup.salon_id == salon_id))
        return {s.user_id: s for s in rows}


async def test_organizer_toggles_attendance_of_going_members(app, fake_request, db):
    salon = await stored_salon(db, days=-0.01)
    await stored_signup(db, salon.id, ZH_USER)
    await stored_signup(db, salon.id, EN_USER)
    await stored_signup(db, salon.id, WAITING, WAITLIST)
    await press(app, f"S:k:{salon.id}:0")
    page = last_call(fake_request, ME)
    assert page.params["text"].startswith(
        "Check-in for “读书会：三体”: 0 of 2 here. Tap a name to mark it.\n"
        f"Members check in with /here {salon.checkin_code}, or with this link"
    )
    toggles = {k: v for k, v in buttons(page).items() if v.startswith("S:t:")}
    assert toggles == {"⬜ 小明": f"S:t:{salon.id}:1001:0", "⬜ Alice": f"S:t:{salon.id}:1002:0"}
    await press(app, toggles["⬜ 小明"])
    rows = await signups(db, salon.id)
    assert rows[1001].attended is True and rows[1001].checked_in_at is not None
    assert rows[1002].attended is None
    redrawn = last_call(fake_request, ME)
    assert "✅ 小明" in buttons(redrawn) and "1 of 2 here" in redrawn.params["text"]
    await press(app, toggles["⬜ 小明"])  # a second tap undoes it
    rows = await signups(db, salon.id)
    assert rows[1001].attended is False and rows[1001].checked_in_at is None


async def test_check_in_button_of_the_salon_card_opens_the_list(app, fake_request, db):
    salon = await stored_salon(db, days=-0.01)
    await stored_signup(db, salon.id, ZH_USER)
    await press(app, f"S:m:{salon.id}")
    card = last_call(fake_request, ME)
    await press(app, buttons(card)["✅ Check in"])
    page = last_call(fake_request, ME)
    assert page.params["text"].startswith("Check-in for “读书会：三体”: 0 of 1 here.")
    assert buttons(page)["⬜ 小明"] == f"S:t:{salon.id}:1001:0"
    assert alerts(fake_request) == []


async def test_toggle_refuses_members_not_going_and_cancelled_salons(app, fake_request, db):
    salon = await stored_salon(db, days=-0.01)
    await stored_signup(db, salon.id, WAITING, WAITLIST)
    await press(app, f"S:t:{salon.id}:1004:0", ZH_ORGANIZER)
    await press(app, f"S:t:{salon.id}:999999:0", ZH_ORGANIZER)
    assert alerts(fake_request) == ["这位成员没有确定报名参加。"] * 2
    assert (await signups(db, salon.id))[1004].attended is None
    cancelled = await stored_salon(db, status=SALON_CANCELLED)
    await stored_signup(db, cancelled.id, ZH_USER)
    await press(app, f"S:t:{cancelled.id}:1001:0")
    assert alerts(fake_request)[-1] == "This salon is cancelled."
    assert (await signups(db, cancelled.id))[1001].attended is None
    await press(app, f"S:t:{salon.id}:1004", ZH_ORGANIZER)  # malformed: one number missing
    assert alerts(fake_request)[-1] == "这个按钮已失效。"


async def test_attendee_list_groups_members(app, fake_request, db):
    salon = await stored_salon(db)
    await stored_signup(db, salon.id, ZH_USER)
    await stored_signup(db, salon.id, EN_USER, OFFERED)
    await stored_signup(db, salon.id, WAITING, WAITLIST)
    await press(app, f"S:a:{salon.id}", ZH_ORGANIZER)
    text = last_call(fake_request, ME).params["text"]
    expected = "读书会：三体\n\n确定参加 (1)\n小明\n\n已获候补名额 (1)\nAlice\n\n候补名单 (1)\n"
    assert text == expected + "Wei (@wei)"
    empty = await stored_salon(db, title="Empty")
    await press(app, f"S:a:{empty.id}")
    assert "Nobody has signed up yet." in last_call(fake_request, ME).params["text"]


async def test_here_checks_in_during_the_event_with_the_checkin_code(app, fake_request, db):
    salon = await stored_salon(db, days=-0.01)
    await stored_signup(db, salon.id, ZH_USER)
    await stored_signup(db, salon.id, EN_USER)
    await say(app, f"/here {salon.checkin_code.lower()}", ZH_USER)
    await say(app, f"/here {salon.checkin_code}", ZH_USER)
    # The public join code, printed in every announcement, proves nothing about presence.
    await say(app, f"/here {salon.short_code}", EN_USER)
    assert fake_request.sent_texts(ZH_USER["id"]) == [
        "✅ 你已在「读书会：三体」签到成功，祝你玩得开心！",
        "你已经在「读书会：三体」签到过了。",
    ]
    assert fake_request.sent_texts(EN_USER["id"]) == [
        "I do not know that code. Please check it with the organizer."
    ]
    rows = await signups(db, salon.id)
    assert rows[1001].attended and rows[1001].checked_in_at and rows[1002].attended is None


async def test_the_signed_link_checks_in_and_expires(app, fake_request, db):
    salon = await stored_salon(db, days=-0.01)
    await stored_signup(db, salon.id, EN_USER)
    await stored_signup(db, salon.id, ZH_USER)
    await press(app, f"S:k:{salon.id}")
    shown = last_call(fake_request, ME).params["text"]
    [link] = [w for w in shown.split() if w.startswith("https://t.me/salon_test_bot?start=h_")]
    payload = link.split("start=")[1]
    await say(app, f"/start {payload}", EN_USER)
    assert fake_request.sent_texts(EN_USER["id"])[-1].startswith("✅ You are checked in")
    token = app.bot_data.config.telegram.token
    old = checkin_payload(token, salon.id, now=time.time() - 3600)
    forged = payload.replace(f"h_{salon.id}_", f"h_{salon.id + 1}_")
    for bad in (old, forged):
        await say(app, f"/start {bad}", ZH_USER)
    assert all("签到" in t for t in fake_request.sent_texts(ZH_USER["id"]))
    rows = await signups(db, salon.id)
    assert rows[EN_USER["id"]].attended and rows[ZH_USER["id"]].attended is None


async def test_here_refuses_outside_the_window_and_without_a_signup(app, fake_request, db):
    early = await stored_salon(db, days=1, title="Tomorrow")
    over = await stored_salon(db, days=-0.2, title="Over", ends_after=timedelta(hours=1))
    default_over = await stored_salon(db, days=-0.1 - 2 / 24, title="Default 2h")
    cancelled = await stored_salon(db, days=-0.01, title="Off", status=SALON_CANCELLED)
    draft = await stored_salon(db, days=-0.01, title="Draft", status=SALON_DRAFT)
    opening = await stored_salon(db, days=20 / 60 / 24, title="In 20 min")
    for salon in (early, over, default_over, cancelled, draft, opening):
        await stored_signup(db, salon.id, EN_USER)
    not_mine = await stored_salon(db, days=-0.01, title="Not mine")
    await stored_signup(db, not_mine.id, ZH_USER, WAITLIST)
    codes = [early.checkin_code, over.checkin_code, default_over.checkin_code,
             cancelled.checkin_code]  # fmt: skip
    for code in [*codes, draft.checkin_code, "ZZZZZZZZ", opening.checkin_code]:
        await say(app, f"/here {code}", EN_USER)
    await say(app, "/here", EN_USER)
    await say(app, f"/here {not_mine.checkin_code}", ZH_USER)
    texts = fake_request.sent_texts(EN_USER["id"])
    assert texts[0].startswith("Check-in for “Tomorrow” opens at ")
    assert texts[1:7] == [
        "“Over” is over; check-in has closed.",
        "“Default 2h” is over; check-in has closed.",
        "“Off” has been cancelled.",
        "I do not know that code. Please check it with the organizer.",
        "I do not know that code. Please check it with the organizer.",
        "✅ You are checked in at “In 20 min”. Enjoy the salon!",
    ]
    assert texts[7].startswith("Send /here followed by the check-in code")
    assert fake_request.sent_texts(ZH_USER["id"]) == ["你没有报名「Not mine」，所以无法签到。"]
    for salon in (early, over, default_over, cancelled, draft, not_mine):
        assert all(s.attended is None for s in (await signups(db, salon.id)).values())


async def test_no_show_job_marks_going_members_of_ended_salons_once(app, db):
    ended = await stored_salon(db, days=-1)
    running = await stored_salon(db, days=-0.05)
    await stored_signup(db, ended.id, ZH_USER)
    await stored_signup(db, ended.id, EN_USER)
    await stored_signup(db, ended.id, WAITING, WAITLIST)
    await stored_signup(db, ended.id, {**WAITING, "id": 1007}, source="import")
    await stored_signup(db, running.id, ZH_USER)
    async with db.begin() as session:
        (await session.scalar(select(Signup).where(Signup.user_id == 1002))).attended = True
    await mark_no_shows_job(Context(app))
    rows = await signups(db, ended.id)
    assert (rows[1001].attended, rows[1002].attended) == (False, True)
    assert rows[1004].attended is None and rows[1007].attended is None
    assert (await signups(db, running.id))[1001].attended is None
    async with db.begin() as session:
        assert await mark_no_shows(session=session) == 0  # idempotent
    [job] = app.job_queue.get_jobs_by_name("no_shows")
    assert job.callback is mark_no_shows_job


async def test_no_show_job_ignores_cancelled_salons(app, db):
    salon = await stored_salon(db, days=-2, status=SALON_CANCELLED)
    await stored_signup(db, salon.id, ZH_USER, GOING)
    async with db.begin() as session:
        assert await mark_no_shows(session=session) == 0
