"""The running demo: the real application polling a local Bot API sandbox, and its people.

Members and the organizer act by queueing Bot API updates in the sandbox (messages, button
presses, poll votes); the application receives them through getUpdates exactly as from
Telegram. `settle()` waits until the application has handled everything queued so far.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_app
from bot.common.config import Config
from bot.demo.transcript import Transcript
from bot.demo.world import CHAT_ID, TITLE, Persona, World
from bot.sandbox.server import BotApiSandbox, Call
from storage.timeshift import shift_salon_back

BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Salon", "username": "salon_test_bot"}
TIMEOUT = 60.0


class DemoError(Exception):
    """Something the demo waited for did not happen."""


def buttons(call: Call) -> dict[str, str]:
    """Button label -> callback data of a message the bot sent or edited."""
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return {b["text"]: b.get("callback_data") or b.get("url", "") for row in rows for b in row}


def button_with(call: Call, prefix: str, *, exact: bool = False) -> tuple[str, str]:
    """(label, data) of the first button whose callback data starts with (or is) `prefix`."""
    for label, data in buttons(call).items():
        if data == prefix or (not exact and data.startswith(prefix)):
            return label, data
    raise DemoError(f"no {prefix!r} button under {call.method} to {call.params.get('chat_id')}")


class Demo:
    """The application, the sandbox it talks to, the people, and the transcript."""

    def __init__(
        self, config: Config, sandbox: BotApiSandbox, world: World, transcript: Transcript,
        out: Path,
    ) -> None:  # fmt: skip
        self.config = config
        self.sandbox = sandbox
        self.world = world
        self.transcript = transcript
        self.out = out
        self.gettext = transcript.gettext
        self.app: Application = build_app(config)
        self.facts: dict[str, object] = {}  # what steps learn and later steps use
        self.pressed_by: dict[str, int] = {}  # callback query id -> user id
        self._cursor = 0
        self._last_update = 0
        self._ids = itertools.count(1)
        people = [world.organizer, *world.members.values()]
        transcript.names.update({p.user_id: p.name for p in people})
        transcript.names[CHAT_ID] = f"👥 {TITLE}"

    @property
    def db(self):
        """The application's session factory."""
        return self.app.bot_data.db

    async def start(self) -> None:
        """Start the application and its jobs, polling the sandbox (as `salonbot run` does)."""
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1,
                                             allowed_updates=ALLOWED_UPDATES)  # fmt: skip
        await self.app.start()

    async def stop(self) -> None:
        """Stop polling and the jobs, finish sends in flight, close the database."""
        self.app.job_queue.scheduler.pause()
        await asyncio.sleep(0.2)  # let a tick under way finish rather than cancel it
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)

    # -- people act --------------------------------------------------------------------------
    def _push(self, kind: str, body: dict) -> None:
        self._last_update = self.sandbox.push_update({kind: body})

    def say(self, person: Persona, text: str, *, show: bool = True, **extra) -> None:
        """`person` sends the bot a private message."""
        message = {"message_id": next(self._ids), "date": int(time.time()),
                   "chat": {"id": person.user_id, "type": "private", "first_name": person.name},
                   "from": person.user_json(), "text": text, **extra}  # fmt: skip
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if show:
            self.transcript.says(person.user_id, text)
        self._push("message", message)

    def press(self, person: Persona, call: Call, data: str, label: str, *, show=True) -> None:
        """`person` presses the button `data` under the message the bot sent in `call`."""
        query_id = str(next(self._ids))
        self.pressed_by[query_id] = person.user_id
        if show:
            self.transcript.presses(person.user_id, label)
        self._push("callback_query", {"id": query_id, "from": person.user_json(),
                                      "chat_instance": str(person.user_id), "data": data,
                                      "message": call.result})  # fmt: skip

    def checkout(self, person: Persona, invoice: Call) -> str:
        """`person` presses Pay on an invoice: Telegram sends the bot a pre-checkout query."""
        self.transcript.pays(person.user_id, invoice.params)
        query_id = self.sandbox.push_pre_checkout(person.user_json(), invoice.params)
        self._last_update = self.sandbox.last_update_id
        return query_id

    def paid(self, person: Persona, invoice: Call) -> str:
        """Telegram took the money: the bot gets the successful_payment message."""
        charge = self.sandbox.push_successful_payment(person.user_json(), invoice.params)
        self._last_update = self.sandbox.last_update_id
        return charge

    def vote(self, person: Persona, poll: dict, option: int, *, show: bool = True) -> None:
        """`person` votes for `option` (0-based) in a poll the bot sent them."""
        if show:
            self.transcript.votes(person.user_id, poll["options"][option]["text"])
        self._push("poll_answer", {"poll_id": poll["id"], "user": person.user_json(),
                                   "option_ids": [option],
                                   "option_persistent_ids": [str(option)]})  # fmt: skip

    # -- waiting and watching ----------------------------------------------------------------
    async def settle(self) -> None:
        """Wait until the application received and handled every update queued so far."""
        last = self._last_update
        await self.until(lambda: self.sandbox.received(last), "the bot to receive updates")
        await asyncio.wait_for(self.app.update_queue.join(), TIMEOUT)

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait (without blocking the application) until `condition()` holds."""
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise DemoError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def until_true(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """Like `until`, for a check that reads the database."""
        deadline = time.monotonic() + TIMEOUT
        while not await check():
            if time.monotonic() > deadline:
                raise DemoError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)

    async def sent(self, count: int, what: str, **match) -> list[Call]:
        """Wait until at least `count` new sendMessage/sendPoll calls match; return the new ones."""

        def found() -> list[Call]:
            return [c for c in self.sandbox.calls[self._cursor:] if c.method in (
                "sendMessage", "sendPoll") and _matches(c, match)]  # fmt: skip

        await self.until(lambda: len(found()) >= count, what)
        return found()

    def new_calls(self) -> list[Call]:
        """The calls since the last time this was asked (the cursor moves on)."""
        calls = self.sandbox.calls[self._cursor :]
        self._cursor += len(calls)
        return calls

    def show_new(self) -> list[Call]:
        """Render the calls since the cursor and move it on."""
        calls = self.new_calls()
        self.transcript.bot(calls, self.pressed_by)
        return calls

    # -- time travel -------------------------------------------------------------------------
    async def shift(self, salon_id: int, delta: timedelta, text: str) -> None:
        """Let `delta` pass for the salon (its timestamps move back), printed as '— text —'."""
        self.transcript.later(text)
        async with self.db.begin() as session:
            await shift_salon_back(salon_id, delta, session=session)


def _matches(call: Call, match: dict) -> bool:
    for key, value in match.items():
        if key == "method":
            if call.method != value:
                return False
        elif key == "button":
            if not any(d.startswith(value) for d in buttons(call).values()):
                return False
        elif call.params.get(key) != value:
            return False
    return True
