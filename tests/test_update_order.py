"""PaymentsFirst: a pre-checkout query never waits, even behind a long line of other updates."""

from __future__ import annotations

import asyncio

from bot.updates import PaymentsFirst
from tests.salon_helpers import member
from tests.updates import message, pre_checkout_query

ALICE = member(5001)
INVOICE = {"currency": "XTR", "prices": [{"amount": 50}], "payload": "v1.1.5001.1.50.x"}


async def test_a_pre_checkout_query_is_answered_behind_a_long_line_of_updates():
    processor = PaymentsFirst()
    await processor.initialize()
    gate, answered, order = asyncio.Event(), asyncio.Event(), []

    async def handle(name: str, *, slow: bool = False) -> None:
        if slow:
            await gate.wait()  # a /stats with charts, an export
        order.append(name)
        if name == "pre-checkout":
            answered.set()

    # A busy group (or the queue after a restart): the slow update, then 600 waiting in line.
    backlog = 600
    tasks = [asyncio.create_task(processor.process_update(
        message("/stats", ALICE), handle("slow", slow=True)))]  # fmt: skip
    tasks += [
        asyncio.create_task(processor.process_update(message("hi", ALICE), handle(f"m{i}")))
        for i in range(backlog)
    ]
    query = pre_checkout_query(ALICE, INVOICE)
    tasks.append(asyncio.create_task(processor.process_update(query, handle("pre-checkout"))))
    try:
        async with asyncio.timeout(10):  # Telegram's limit for the answer
            await answered.wait()
        assert order == ["pre-checkout"]  # the line behind the slow update has not moved
    finally:
        gate.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    # The other updates ran one at a time, in arrival order.
    assert order[1:] == ["slow", *(f"m{i}" for i in range(backlog))]
    await processor.shutdown()
