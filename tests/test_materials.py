"""/materials: an organizer attaches a link; after the salon, members who wanted to come but
did not get it with the next similar salon, through the outbox, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.materials.jobs import materials_job
from bot.outbox.dispatcher import send_payload
from storage.models import OutboxMessage, SalonMaterials, Signup
from storage.models.salons import DECLINED, GOING, LEFT, WAITLIST
from tests.salon_helpers import job_context, make_salon, make_users, member
from tests.updates import EN_USER, ORGANIZER, ZH_USER, message

CAME, DECLINER = member(4001), member(4002)
URL = "https://example.org/slides-42"


async def _signup(db, salon, user_id, status=GOING, **fields):
    async with db.begin() as session:
        session.add(Signup(salon_id=salon.id, user_id=user_id, status=status, **fields))


async def _outbox(db):
    async with db.begin() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "materials"))
        return {r.chat_id: r for r in rows}


async def test_materials_go_to_interested_members_who_did_not_come(app, db, fake_request):
    await make_users(db, [EN_USER, ZH_USER, CAME, DECLINER])
    past = await make_salon(db, title="AI night", tags=("ai",), starts_in=timedelta(hours=-5))
    await make_salon(db, title="Cooking", starts_in=timedelta(days=1))
    similar = await make_salon(db, title="AI again", tags=("ai", "ml"), starts_in=timedelta(days=9))
    await _signup(db, past, EN_USER["id"], status=LEFT)
    await _signup(db, past, ZH_USER["id"], status=WAITLIST)
    await _signup(db, past, CAME["id"], attended=True)
    await _signup(db, past, DECLINER["id"], status=DECLINED)

    await app.process_update(message(f"/materials {past.short_code} {URL}", ORGANIZER, bot=app.bot))
    [reply] = fake_request.sent_texts(ORGANIZER["id"])
    assert reply.startswith("Materials attached to “AI night”.")
    await materials_job(job_context(app))
    await materials_job(job_context(app))  # nothing twice
    queued = await _outbox(db)
    assert set(queued) == {EN_USER["id"], ZH_USER["id"]}
    en = queued[EN_USER["id"]].payload
    assert en["text"].startswith(
        f"You could not come to «AI night»; here are its materials:\n{URL}"
    )
    assert "Next on a similar topic: «AI again»" in en["text"]
    assert en["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"J:{similar.id}"
    zh = queued[ZH_USER["id"]].payload["text"]
    assert (
        zh.startswith("你没能参加「AI night」，这是它的资料：")
        and "下一场相似主题的沙龙：「AI again」" in zh
    )
    assert queued[ZH_USER["id"]].dedupe_key == f"materials:{past.id}:{ZH_USER['id']}"
    await send_payload(app.bot, queued[EN_USER["id"]])  # as the dispatcher sends it
    [sent] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    assert sent.params["text"] == en["text"] and "reply_markup" in sent.params


async def test_nothing_is_sent_before_the_salon_is_over(app, db):
    await make_users(db, [EN_USER])
    salon = await make_salon(db, starts_in=timedelta(hours=-1))  # still on (3 h by default)
    await _signup(db, salon, EN_USER["id"])
    await app.process_update(
        message(f"/materials {salon.short_code} {URL}", ORGANIZER, bot=app.bot)
    )
    await materials_job(job_context(app))
    assert await _outbox(db) == {}


async def test_materials_refused_to_members_and_for_bad_links(app, db, fake_request):
    salon = await make_salon(db, starts_in=timedelta(hours=-5))
    await app.process_update(message(f"/materials {salon.short_code} {URL}", EN_USER, bot=app.bot))
    await app.process_update(message(f"/materials {salon.short_code} {URL}", ZH_USER, bot=app.bot))
    await app.process_update(
        message(f"/materials {salon.short_code} javascript:alert(1)", ORGANIZER, bot=app.bot)
    )
    await app.process_update(message(f"/materials NOSUCH {URL}", ORGANIZER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"]) == ["Only organizers of a community can do that."]
    assert fake_request.sent_texts(ZH_USER["id"]) == ["只有社群的组织者才能这样做。"]
    bad, unknown = fake_request.sent_texts(ORGANIZER["id"])
    assert bad.startswith("Send /materials CODE LINK")
    assert unknown == "That salon does not exist, or you do not organize its community."
    async with db.begin() as session:
        assert list(await session.scalars(select(SalonMaterials))) == []
