"""Reminders and feedback polls: derived from the database by ticks, sent once by the dispatcher."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.app import build_app
from bot.jobs import feedback_job, reminders_job, waitlist_job
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from storage.models import OutboxMessage, Poll, Signup
from storage.signups import add_signup
from storage.types import utcnow
from tests.conftest import make_config
from tests.fakes import FakeRequest
from tests.salon_helpers import job_context, make_salon, make_users, member
from tests.updates import EN_USER, ZH_USER, callback, poll_answer, reply

DAYS_AGO = timedelta(days=3)


async def _sign_up(db, salon, users, *, ago=DAYS_AGO):
    await make_users(db, users)
    async with db.begin() as session:
        for user in users:
            await add_signup(salon.id, user["id"], session=session, now=utcnow() - ago)


async def _outbox(db, kind=None):
    async with db.begin() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))


async def test_reminders_are_queued_once_and_sent_with_cant_come(app, fake_request, db, config):
    salon = await make_salon(db, capacity=2, starts_in=timedelta(hours=1, minutes=30))
    late = member(6003)
    await _sign_up(db, salon, [EN_USER, ZH_USER])
    await _sign_up(db, salon, [late], ago=timedelta(minutes=30))  # waitlisted: salon is full
    context = job_context(app)
    await reminders_job(context)
    await reminders_job(context)
    rows = await _outbox(db, "reminder")
    assert sorted(r.dedupe_key for r in rows) == sorted(
        f"reminder:{salon.id}:{u['id']}:2:{int(salon.starts_at.timestamp())}"
        for u in (EN_USER, ZH_USER)
    )
    dispatcher = Dispatcher(config.messaging)
    assert await dispatch_once(app.bot, db, dispatcher) == 2
    assert await dispatch_once(app.bot, db, dispatcher) == 0
    [en] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    [zh] = fake_request.calls_to("sendMessage", chat_id=ZH_USER["id"])
    assert en.params["text"].startswith("Reminder: «Reading night 读书夜» starts ")
    assert zh.params["text"].startswith("提醒：「Reading night 读书夜」将于 ")
    button = en.params["reply_markup"]["inline_keyboard"][0][0]
    assert (button["text"], button["callback_data"]) == ("I can't come", f"L:{salon.id}")
    # "I can't come" releases the seat and offers it to the waitlisted member.
    await app.process_update(callback(button["callback_data"], EN_USER, bot=app.bot))
    async with db.begin() as session:
        statuses = dict((await session.execute(select(Signup.user_id, Signup.status))).all())
    assert statuses == {EN_USER["id"]: "left", ZH_USER["id"]: "going", 6003: "offered"}
    assert [r.chat_id for r in await _outbox(db, "offer")] == [6003]


async def test_only_the_latest_missed_reminder_and_none_after_start(app, db):
    soon = await make_salon(db, starts_in=timedelta(minutes=30))
    await _sign_up(db, soon, [EN_USER])
    await reminders_job(job_context(app))
    [row] = await _outbox(db, "reminder")
    assert row.dedupe_key.startswith(f"reminder:{soon.id}:{EN_USER['id']}:2:")  # not the 24 h one
    async with db.begin() as session:
        await session.execute(update(type(soon)).values(starts_at=utcnow() - timedelta(minutes=1)))
    await reminders_job(job_context(app))
    [row] = await _outbox(db, "reminder")
    assert row.status == "cancelled"


async def _past_salon(db, users, **fields):
    salon = await make_salon(
        db, starts_in=timedelta(hours=-4), ends_at=utcnow() - timedelta(hours=2), **fields
    )
    async with db.begin() as session:
        for user in users:
            session.add(Signup(salon_id=salon.id, user_id=user["id"], status="going"))
    return salon


async def test_feedback_poll_rating_and_comment_in_both_languages(app, fake_request, db, config):
    absent, left = member(6101), member(6102)
    await make_users(db, [EN_USER, ZH_USER, absent, left])
    salon = await _past_salon(db, [EN_USER, ZH_USER, absent, left])
    old = await make_salon(db, starts_in=timedelta(days=-6), title="Long ago")
    async with db.begin() as session:
        session.add(Signup(salon_id=old.id, user_id=EN_USER["id"], status="going"))
        await session.execute(
            update(Signup).where(Signup.user_id == ZH_USER["id"]).values(attended=True)
        )
        await session.execute(update(Signup).where(Signup.user_id == 6101).values(attended=False))
        await session.execute(update(Signup).where(Signup.user_id == 6102).values(status="left"))
    await feedback_job(job_context(app))
    await feedback_job(job_context(app))
    assert sorted(r.chat_id for r in await _outbox(db, "feedback")) == [1001, 1002]
    assert await dispatch_once(app.bot, db, Dispatcher(config.messaging)) == 2
    [en_poll] = fake_request.calls_to("sendPoll", chat_id=EN_USER["id"])
    [zh_poll] = fake_request.calls_to("sendPoll", chat_id=ZH_USER["id"])
    assert en_poll.params["question"].startswith("How was «Reading night 读书夜»?")
    assert zh_poll.params["question"].startswith("「Reading night 读书夜」怎么样？")
    assert en_poll.params["is_anonymous"] is False and len(en_poll.params["options"]) == 5
    async with db.begin() as session:
        polls = {p.user_id: p.poll_id for p in await session.scalars(select(Poll))}
    assert set(polls) == {EN_USER["id"], ZH_USER["id"]}
    # Someone else's vote on EN's poll and votes on unknown polls change nothing.
    await app.process_update(poll_answer(polls[EN_USER["id"]], ZH_USER, [0], bot=app.bot))
    await app.process_update(poll_answer("nope", EN_USER, [0], bot=app.bot))
    await app.process_update(poll_answer(polls[EN_USER["id"]], EN_USER, [3], bot=app.bot))
    await app.process_update(poll_answer(polls[ZH_USER["id"]], ZH_USER, [4], bot=app.bot))
    [en_prompt] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    [zh_prompt] = fake_request.calls_to("sendMessage", chat_id=ZH_USER["id"])
    assert en_prompt.params["text"].startswith("Thank you for rating!")
    assert en_prompt.params["reply_markup"]["force_reply"] is True
    assert zh_prompt.params["text"].startswith("感谢评分！")
    async with db.begin() as session:
        prompts = {p.user_id: p.prompt_message_id for p in await session.scalars(select(Poll))}
    await app.process_update(reply("Great talk, more please", EN_USER, prompts[1002], bot=app.bot))
    await app.process_update(reply("不相关的回复", ZH_USER, 123456, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[-1].startswith("Thank you! I passed")
    assert len(fake_request.sent_texts(ZH_USER["id"])) == 1
    async with db.begin() as session:
        signups = await session.scalars(select(Signup).where(Signup.salon_id == salon.id))
        rows = {s.user_id: s for s in signups}
    assert (rows[1002].rating, rows[1002].comment) == (4, "Great talk, more please")
    assert (rows[1001].rating, rows[1001].comment) == (5, None)
    assert rows[6101].rating is None


async def test_restart_between_ticks_sends_every_reminder_and_poll_once(db_url, db):
    config = make_config(db_url, messaging={"global_rate_per_second": 2})  # one per tick

    async def started(request):
        app = build_app(config, request=request)
        await app.initialize()
        await app.post_init(app)
        return app

    async def stop(app):
        await app.post_shutdown(app)
        await app.shutdown()

    first_request, second_request = FakeRequest(), FakeRequest()
    first = await started(first_request)
    soon = await make_salon(db, starts_in=timedelta(hours=1, minutes=30))
    going = [member(7000 + i) for i in range(3)]
    await _sign_up(db, soon, going)
    attendees = [member(7100 + i) for i in range(3)]
    await make_users(db, attendees)
    await _past_salon(db, attendees)

    dispatcher = Dispatcher(config.messaging)
    for _tick in range(2):
        for job in (reminders_job, feedback_job, waitlist_job):
            await job(job_context(first))
        await dispatch_once(first.bot, db, dispatcher)
    await stop(first)
    sent_before = len(first_request.calls_to("sendMessage") + first_request.calls_to("sendPoll"))
    assert sent_before == 2

    second = await started(second_request)
    dispatcher = Dispatcher(config.messaging)
    for _tick in range(10):
        for job in (reminders_job, feedback_job, waitlist_job):
            await job(job_context(second))
        await dispatch_once(second.bot, db, dispatcher)
    await stop(second)
    calls = [
        (c.method, c.params["chat_id"])
        for request in (first_request, second_request)
        for c in request.calls
        if c.method in ("sendMessage", "sendPoll")
    ]
    expected = [("sendMessage", u["id"]) for u in going] + [
        ("sendPoll", u["id"]) for u in attendees
    ]
    assert sorted(calls) == sorted(expected)
    assert {r.status for r in await _outbox(db)} == {"sent"}


async def test_moved_salon_gets_a_reminder_for_its_new_time(app, db):
    from storage.models import Salon

    salon = await make_salon(db, starts_in=timedelta(hours=1, minutes=30))
    await _sign_up(db, salon, [EN_USER])
    context = job_context(app)
    await reminders_job(context)
    [first] = await _outbox(db, "reminder")
    later = salon.starts_at + timedelta(minutes=20)
    async with db.begin() as session:
        await session.execute(update(Salon).where(Salon.id == salon.id).values(starts_at=later))
    await reminders_job(context)
    await reminders_job(context)
    keys = sorted(r.dedupe_key for r in await _outbox(db, "reminder"))
    assert keys == sorted([first.dedupe_key, f"reminder:{salon.id}:{EN_USER['id']}:2:"
                                             f"{int(later.timestamp())}"])  # fmt: skip
