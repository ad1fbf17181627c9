"""Two Applications on one PostgreSQL database, updates delivered to each in turn."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from sqlalchemy import func, select, text

from storage.dialogues import get_dialogue
from storage.models import Dialogue, Membership, User
from tests.conftest import make_config, started_app
from tests.fakes import FakeRequest
from tests.organizer import (
    alerts,
    last_call,
    local_in,
    outbox_rows,
    salons_in,
    stored_salon,
    stored_signup,
    text_of,
    utc_of,
)
from tests.test_organizer_rights import ADMIN_RIGHTS, REFUSED
from tests.updates import (
    COMMUNITY_ID,
    EN_USER,
    ORGANIZER,
    callback,
    chat_member,
    group_message,
    message,
    reply,
)

HELD_DIALOGUE_LOCKS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
)
TOO_FAST = "You are sending commands too fast. Please wait a few seconds."


async def _two(stack: AsyncExitStack, url: str, **sections):
    config = make_config(url, **sections)
    requests = [FakeRequest(), FakeRequest()]
    apps = [await stack.enter_async_context(started_app(config, r)) for r in requests]
    return apps, requests


async def test_the_limit_holds_across_processes(pg_db_url):
    async with AsyncExitStack() as stack:
        limits = {"commands_per_user": 4, "window_seconds": 60}
        apps, requests = await _two(stack, pg_db_url, limits=limits)
        for i in range(10):
            app = apps[i % 2]
            await app.process_update(message("/help", EN_USER, bot=app.bot))
    texts = [t for r in requests for t in r.sent_texts(EN_USER["id"])]
    assert len([t for t in texts if t != TOO_FAST]) == 4
    assert texts.count(TOO_FAST) == 1


async def test_a_deletion_in_one_process_is_final_in_the_other(pg_db_url):
    person = {"id": 6101, "is_bot": False, "first_name": "Zed", "language_code": "en"}
    async with AsyncExitStack() as stack:
        (one, other), _requests = await _two(stack, pg_db_url)
        # The other process saw them write in the group; its buffer is not written yet.
        await other.process_update(group_message("still buffered", person, bot=other.bot))
        await one.process_update(callback("P:del:yes", person, bot=one.bot))
        await other.bot_data.activity.flush()
        async with one.bot_data.db.begin() as session:
            users = await session.scalar(select(func.count()).where(User.id == person["id"]))
            members = await session.scalar(
                select(func.count()).where(Membership.user_id == person["id"])
            )
    assert (users, members) == (0, 0)


async def test_a_demotion_seen_by_one_process_holds_in_the_other(pg_db_url):
    async with AsyncExitStack() as stack:
        (one, other), (r1, r2) = await _two(stack, pg_db_url)
        for request in (r1, r2):
            request.api.admins[COMMUNITY_ID] = [EN_USER["id"]]
        await other.process_update(message("/salons", EN_USER, bot=other.bot))  # cached: admin
        for request in (r1, r2):
            request.api.admins[COMMUNITY_ID] = []
        await other.process_update(message("/export", EN_USER, bot=other.bot))
    assert r2.sent_texts(EN_USER["id"])[-1] == "Only organizers of a community can do that."
    assert not r2.calls_to("sendDocument")


async def test_an_admin_change_seen_by_one_process_holds_in_the_other_at_once(pg_db_url):
    async with AsyncExitStack() as stack:
        (one, other), (r1, r2) = await _two(stack, pg_db_url)
        salon = await stored_salon(one.bot_data.db)
        for request in (r1, r2):
            request.api.admins[COMMUNITY_ID] = [EN_USER["id"]]
        await other.process_update(callback(f"S:m:{salon.id}", EN_USER, bot=other.bot))
        assert REFUSED not in alerts(r2)  # an admin: the salon's menu
        for request in (r1, r2):
            request.api.admins[COMMUNITY_ID] = []
        # Only the first process gets the update that they were demoted...
        demoted = chat_member(EN_USER, "administrator", "member", bot=one.bot,
                              old_extra=ADMIN_RIGHTS)  # fmt: skip
        await one.process_update(demoted)
        # ...and the second, which had asked Telegram a moment ago, refuses the menu too.
        await other.process_update(callback(f"S:m:{salon.id}", EN_USER, bot=other.bot))
    assert alerts(r2)[-1] == REFUSED


async def test_a_failed_admin_list_in_one_process_does_not_demote_anyone_in_the_other(
    pg_db_url,
):
    async with AsyncExitStack() as stack:
        (one, other), (r1, r2) = await _two(stack, pg_db_url)
        salon = await stored_salon(one.bot_data.db)
        for request in (r1, r2):
            request.api.admins[COMMUNITY_ID] = [EN_USER["id"]]
        r1.api.fail("getChatAdministrators", 429, "Too Many Requests: retry after 5")
        await one.process_update(callback(f"S:m:{salon.id}", EN_USER, bot=one.bot))
        await other.process_update(callback(f"S:m:{salon.id}", EN_USER, bot=other.bot))
    assert alerts(r1)[-1] == REFUSED  # this process could not tell: configured ids only
    assert REFUSED not in alerts(r2)  # the other asked Telegram itself: still an admin


async def test_a_newsalon_dialogue_whose_steps_land_on_both_processes_completes(pg_db_url):
    start = local_in(7, 14, 0)
    steps = [("say", "/newsalon"), ("say", "Philosophy night"), ("press", "S:skip:1"),
             ("say", "books; philosophy"), ("say", text_of(start)), ("say", "90"),
             ("press", "S:skip:5"), ("say", "15"), ("press", "S:skip:7"),
             ("say", "30")]  # fmt: skip
    async with AsyncExitStack() as stack:
        apps, requests = await _two(stack, pg_db_url, limits={"commands_per_user": 1000})
        for i, (kind, value) in enumerate(steps):
            app = apps[i % 2]
            make = message if kind == "say" else callback
            await app.process_update(make(value, ORGANIZER, bot=app.bot))
        [salon] = await salons_in(apps[0].bot_data.db)
        async with apps[0].bot_data.db.begin() as session:
            left = await session.scalar(select(func.count()).select_from(Dialogue))
    assert (salon.title, salon.capacity, salon.price_amount) == ("Philosophy night", 15, 30)
    assert salon.starts_at == utc_of(start) and salon.tags == "books;philosophy"
    assert left == 0  # the finished dialogue is gone from the database
    texts = [t for r in requests for t in r.sent_texts(ORGANIZER["id"])]
    assert not any("Only organizers" in t for t in texts)


async def test_two_answers_at_the_same_instant_on_two_processes_are_taken_in_turn(pg_db_url):
    """The title reaches one process and the description, a moment later, the other while the
    first is still answering: the description must not be read as the title."""
    start = local_in(7, 14, 0)
    rest = [("say", "books; philosophy"), ("say", text_of(start)), ("say", "90"),
            ("press", "S:skip:5"), ("say", "15"), ("press", "S:skip:7"), ("say", "30")]  # fmt: skip
    async with AsyncExitStack() as stack:
        (one, other), (r1, _r2) = await _two(stack, pg_db_url, limits={"commands_per_user": 1000})
        await one.process_update(message("/newsalon", ORGANIZER, bot=one.bot))
        answer = r1.do_request

        async def slow_reply(url, method, request_data=None, **timeouts):
            if url.endswith("/sendMessage"):
                await asyncio.sleep(0.5)
            return await answer(url, method, request_data, **timeouts)

        r1.do_request = slow_reply
        title = one.process_update(message("Philosophy night", ORGANIZER, bot=one.bot))

        async def description_a_moment_later():
            await asyncio.sleep(0.1)
            await other.process_update(message("Plato, and friends", ORGANIZER, bot=other.bot))

        await asyncio.gather(title, description_a_moment_later())
        r1.do_request = answer
        for i, (kind, value) in enumerate(rest):
            app = (one, other)[i % 2]
            make = message if kind == "say" else callback
            await app.process_update(make(value, ORGANIZER, bot=app.bot))
        [salon] = await salons_in(one.bot_data.db)
    assert (salon.title, salon.description) == ("Philosophy night", "Plato, and friends")
    assert (salon.capacity, salon.price_amount) == (15, 30)


async def test_an_edit_button_answered_on_the_other_process_saves(pg_db_url):
    async with AsyncExitStack() as stack:
        (one, other), (r1, r2) = await _two(stack, pg_db_url)
        salon = await stored_salon(one.bot_data.db)
        await one.process_update(callback(f"S:en:{salon.id}", ORGANIZER, bot=one.bot))
        await other.process_update(message("A new title", ORGANIZER, bot=other.bot))
        [salon] = await salons_in(one.bot_data.db)
    assert salon.title == "A new title"
    assert r2.sent_texts(ORGANIZER["id"])[-1].startswith("Saved.")


async def test_message_attendees_whose_steps_land_on_both_processes_is_sent(pg_db_url):
    async with AsyncExitStack() as stack:
        (one, other), (r1, r2) = await _two(stack, pg_db_url)
        salon = await stored_salon(one.bot_data.db)
        await stored_signup(one.bot_data.db, salon.id, EN_USER)
        await one.process_update(callback(f"O:msg:{salon.id}", ORGANIZER, bot=one.bot))
        prompt = last_call(r1, ORGANIZER["id"])
        text = "Bring the book, page 42 onwards."
        await other.process_update(reply(text, ORGANIZER, prompt.result["message_id"],
                                         bot=other.bot))  # fmt: skip
        assert last_call(r2, ORGANIZER["id"]).params["text"].startswith("Preview: 1 members")
        await one.process_update(callback(f"O:go:{salon.id}:0", ORGANIZER, bot=one.bot))
        rows = await outbox_rows(one.bot_data.db)
    assert [(r.kind, r.chat_id) for r in rows] == [("broadcast", EN_USER["id"])]
    assert text in rows[0].payload["text"]
    assert last_call(r1, ORGANIZER["id"]).params["text"].startswith("Queued for 1 members")


async def test_a_deletion_waits_for_a_draft_being_saved_on_the_other_process(pg_db_url):
    """The organizer's draft reaches one process, which is still answering when their
    delete-my-data reaches the other: the draft must not be written back after it."""
    async with AsyncExitStack() as stack:
        (one, other), (r1, _r2) = await _two(stack, pg_db_url)
        salon = await stored_salon(one.bot_data.db)
        await one.process_update(callback(f"O:msg:{salon.id}", ORGANIZER, bot=one.bot))
        prompt = last_call(r1, ORGANIZER["id"])
        answer = r1.do_request

        async def slow_reply(url, method, request_data=None, **timeouts):
            if url.endswith("/sendMessage"):
                await asyncio.sleep(0.5)
            return await answer(url, method, request_data, **timeouts)

        r1.do_request = slow_reply
        draft = one.process_update(reply("See you", ORGANIZER, prompt.result["message_id"],
                                         bot=one.bot))  # fmt: skip

        async def delete_a_moment_later():
            await asyncio.sleep(0.1)
            await other.process_update(callback("P:del:yes", ORGANIZER, bot=other.bot))

        await asyncio.gather(draft, delete_a_moment_later())
        async with one.bot_data.db.begin() as session:
            left = await session.scalar(select(func.count()).select_from(Dialogue))
    assert left == 0


def test_every_draft_an_organizer_keeps_open_is_shared():
    """What the handlers keep in user_data between updates is what the database carries."""
    from bot.plans import handlers as plans
    from bot.salons import broadcast, co_organizers, create, edit
    from bot.salons.conversation import KEYS

    kept = {create.DRAFT, edit.EDIT, broadcast.DRAFT, co_organizers.DRAFT, plans.PLANS}
    assert set(KEYS) == kept


async def test_an_answer_the_shared_limit_refuses_leaves_the_other_process_answers(pg_db_url):
    """A process that handled the dialogue's first step, then gets an answer the shared limit
    refuses, must not write its stale copy over what the other process saved."""
    async with AsyncExitStack() as stack:
        (one, other), (r1, _r2) = await _two(stack, pg_db_url, limits={"commands_per_user": 3})
        await one.process_update(message("/newsalon", ORGANIZER, bot=one.bot))
        await other.process_update(message("Philosophy night", ORGANIZER, bot=other.bot))
        await other.process_update(callback("S:skip:1", ORGANIZER, bot=other.bot))
        await one.process_update(message("books; philosophy", ORGANIZER, bot=one.bot))
        assert r1.sent_texts(ORGANIZER["id"])[-1] == TOO_FAST
        async with one.bot_data.db.begin() as session:
            found = await get_dialogue(ORGANIZER["id"], ORGANIZER["id"], session=session)
    state, data = found
    assert state == 2 and data["newsalon"]["title"] == "Philosophy night"


async def test_an_unreadable_stored_dialogue_is_dropped_and_the_lock_let_go(pg_db_url):
    async with AsyncExitStack() as stack:
        (one, _other), (r1, _r2) = await _two(stack, pg_db_url)
        async with one.bot_data.db.begin() as session:
            session.add(Dialogue(chat_id=ORGANIZER["id"], user_id=ORGANIZER["id"], state=2,
                                 data=b"written by another version"))  # fmt: skip
        await one.process_update(message("Philosophy night", ORGANIZER, bot=one.bot))
        await one.process_update(message("/newsalon", ORGANIZER, bot=one.bot))
        async with one.bot_data.db.begin() as session:
            held = await session.scalar(HELD_DIALOGUE_LOCKS)
            found = await get_dialogue(ORGANIZER["id"], ORGANIZER["id"], session=session)
    assert held == 0
    assert r1.sent_texts(ORGANIZER["id"])[-1].startswith("What is the title of the salon?")
    assert found is not None and found[0] == 0  # the new dialogue, at its first step
