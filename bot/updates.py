"""The order updates are handled in: one at a time, except pre-checkout queries.

PTB handles updates one after another by default, which the dialogues (ConversationHandler)
rely on. A pre-checkout query must be answered within 10 seconds, though, so it must not wait
behind a slow update (a /stats with charts, an export): `PaymentsFirst` runs pre-checkout
queries at once and every other update in arrival order, one at a time, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's semaphore is taken *before* `do_process_update`, so updates waiting for the serial
# lock hold its slots: with a bound of a few hundred, a backlog (a busy group behind a slow
# /stats, the queue after a restart) would make a pre-checkout query wait for a free slot,
# past Telegram's 10 s. The bound is therefore out of reach; it bounds no memory anyway (PTB
# creates a task per fetched update whether or not it gets a slot).
MAX_IN_FLIGHT = 2**31 - 1
# An update replayed after a database outage runs as a job of this name (bot/errors.py).
# Replays are this process's own work (the update came to it), not the leader's: they keep
# running when it stops leading (bot/outbox/leader.py).
REPLAY_JOB_PREFIX = "replay_"


class PaymentsFirst(BaseUpdateProcessor):
    """Serial processing for every update but pre-checkout queries, which never wait."""

    def __init__(self) -> None:
        super().__init__(MAX_IN_FLIGHT)
        self._serial = asyncio.Lock()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run a pre-checkout query now; anything else after the updates before it."""
        if isinstance(update, Update) and update.pre_checkout_query is not None:
            await coroutine
            return
        # asyncio.Lock wakes waiters first come, first served: arrival order is kept.
        async with self._serial:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
