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

# Updates in flight at most (queued ones wait for the serial lock, not in PTB's semaphore).
MAX_IN_FLIGHT = 256


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
