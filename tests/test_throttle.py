"""The per-user command limit: beyond it, commands are refused once, politely, and not handled."""

from __future__ import annotations

from sqlalchemy import select
from telegram import Update

from bot.common.throttle import Throttle
from storage.models import User
from tests.conftest import make_config, started_app
from tests.payment_helpers import signups
from tests.updates import EN_USER, ZH_USER, callback, group_message, message


def test_throttle_window_slides():
    t = Throttle(limit=2, window=10)
    assert t.hit(1, now=0) == (True, False)
    assert t.hit(1, now=1) == (True, False)
    assert t.hit(1, now=2) == (False, True)
    assert t.hit(1, now=3) == (False, False)
    assert t.hit(2, now=3) == (True, False)
    assert t.hit(1, now=10.5) == (True, False)


def test_full_says_what_the_next_hit_would_and_counts_nothing():
    t = Throttle(limit=2, window=10)
    assert not t.full(1, now=0)
    t.hit(1, now=0)
    t.hit(1, now=1)
    assert t.full(1, now=2) and t.full(1, now=2)  # asking twice changes nothing
    assert not t.full(2, now=2)
    assert not t.full(1, now=10.5)  # the first hit left the window
    assert t.hit(1, now=10.5) == (True, False)


async def test_flooding_member_is_refused_and_nothing_is_written(db_url, fake_request, db):
    from bot.app import build_app

    app = build_app(make_config(db_url, limits={"commands_per_user": 3, "window_seconds": 60}),
                    request=fake_request)  # fmt: skip
    await app.initialize()
    await app.post_init(app)
    try:
        for _ in range(3):
            await app.process_update(message("/help", EN_USER, bot=app.bot))
        await app.process_update(message("/start", EN_USER, bot=app.bot))
        await app.process_update(message("/start", EN_USER, bot=app.bot))
        await app.process_update(message("/start", ZH_USER, bot=app.bot))
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
    texts = fake_request.sent_texts(EN_USER["id"])
    assert len(texts) == 4
    assert texts[-1] == "You are sending commands too fast. Please wait a few seconds."
    async with db.begin() as session:
        users = (await session.scalars(select(User.id))).all()
    assert users == [ZH_USER["id"]]  # the refused /start registered nobody
    assert fake_request.sent_texts(ZH_USER["id"])[0].startswith("你好")


async def test_button_presses_count_towards_the_limit_and_refused_ones_change_nothing(
    db_url, fake_request, db
):
    from bot.app import build_app

    app = build_app(make_config(db_url, limits={"commands_per_user": 2, "window_seconds": 60}),
                    request=fake_request)  # fmt: skip
    await app.initialize()
    await app.post_init(app)
    try:
        await app.process_update(callback("P:see", EN_USER, bot=app.bot))
        await app.process_update(message("/privacy", EN_USER, bot=app.bot))
        await app.process_update(callback("P:trk:0", EN_USER, bot=app.bot))  # the third: refused
        await app.process_update(callback("P:inv:0", EN_USER, bot=app.bot))
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
    assert len(fake_request.calls_to("sendDocument")) == 1
    answers = [c.params.get("text") for c in fake_request.calls_to("answerCallbackQuery")]
    # Told once: the second refused press costs no call to Telegram at all.
    assert answers[-1] == "You are sending commands too fast. Please wait a few seconds."
    assert len(answers) == 2
    async with db.begin() as session:
        assert (await session.scalars(select(User.id))).all() == []  # no choice was stored


async def test_edited_commands_are_never_answered(app, fake_request, db):
    from tests.salon_helpers import make_salon

    salon = await make_salon(db)
    for text in ("/events", f"/join {salon.short_code}", f"/leave {salon.short_code}"):
        update = message(text, EN_USER, bot=app.bot).to_dict()
        update["edited_message"] = {**update.pop("message"), "edit_date": 1}
        await app.process_update(Update.de_json(update, app.bot))
    await app.process_update(group_message("/events", EN_USER, bot=app.bot, edited=True))
    assert fake_request.calls == [] or not any(
        c.method.startswith(("send", "answer")) for c in fake_request.calls
    )
    assert (await signups(db, salon.id)) == ([], 0)


async def test_every_update_a_member_causes_counts_and_the_limit_is_told_once(db_url, fake_request):
    config = make_config(db_url, limits={"commands_per_user": 3, "window_seconds": 60})
    async with started_app(config, fake_request) as app:
        for text in ("hello", "what is on?", "/help"):  # private texts count too
            await app.process_update(message(text, EN_USER, bot=app.bot))
        before = len(fake_request.calls)
        await app.process_update(message("/events", EN_USER, bot=app.bot))
        for _ in range(20):
            await app.process_update(message("/events", EN_USER, bot=app.bot))
            await app.process_update(callback("P:see", EN_USER, bot=app.bot))
        # One member's chatter in the group is no command: never limited.
        await app.process_update(group_message("/events", ZH_USER, bot=app.bot))
    refused = [c for c in fake_request.calls[before:] if c.params.get("chat_id") == EN_USER["id"]
               or c.method == "answerCallbackQuery"]  # fmt: skip
    assert [c.params.get("text") for c in refused] == [
        "You are sending commands too fast. Please wait a few seconds."
    ]
