"""What a failed send means, and recording outcomes when the database is briefly away.

A Bot API error *answer* (4xx, 5xx) means Telegram did not deliver the message, so it may be
sent again. A transport failure after the request could have reached Telegram (a read
timeout, a dropped connection, a broken response) leaves the outcome unknown: it may have been
delivered, so it is never resent (a duplicate message is worse than a missing one). Failures
before the request left (no connection, connect or pool timeout, an unfinished write) mean
it was not sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import NetworkError, TimedOut

from storage.db import database_unavailable

logger = logging.getLogger(__name__)

# The request never reached Telegram's server.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout,
            httpx.UnsupportedProtocol, httpx.ProxyError)  # fmt: skip
RECORD_PATIENCE_SECONDS = 600.0
RECORD_MAX_SLEEP_SECONDS = 5.0


def delivery_unknown(error: NetworkError) -> bool:
    """Whether Telegram may have delivered the message although the send raised `error`."""
    cause = error.__cause__
    if isinstance(cause, NOT_SENT):
        return False
    if isinstance(error, TimedOut):
        return True  # a read timeout (or one we cannot place): the request may have arrived
    # NetworkError: with no cause the server answered with an HTTP error (it did not deliver);
    # a transport error (read error, protocol error, anything else) may have come afterwards.
    return cause is not None


async def record(
    db: async_sessionmaker,
    write: Callable[[AsyncSession], Awaitable[None]],
    *,
    what: str,
    stopping: Callable[[], bool],
) -> None:
    """Run `write` in a transaction, retrying while the database is unreachable.

    The send already happened, so its outcome must not be lost to a short outage; the row
    stays `sending` meanwhile (never picked again). Gives up (raising) after
    `RECORD_PATIENCE_SECONDS` or at shutdown: the row is then marked unknown at the next start.
    """
    deadline = time.monotonic() + RECORD_PATIENCE_SECONDS
    sleep = 0.5
    warned = False
    while True:
        try:
            async with db.begin() as session:
                await write(session)
        except Exception as error:
            if not database_unavailable(error) or stopping() or time.monotonic() > deadline:
                raise
            if not warned:
                warned = True
                logger.warning("%s: database unavailable (%s), will record it when it is back",
                               what, type(error).__name__)  # fmt: skip
            await asyncio.sleep(sleep)
            sleep = min(sleep * 2, RECORD_MAX_SLEEP_SECONDS)
        else:
            if warned:
                logger.info("%s: recorded after the database came back", what)
            return
