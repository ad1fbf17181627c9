"""The demo's steps, in order. Each is `async def step(demo: Demo) -> None`.

A feature that wants a place in the demo adds its step here: write it with the `Demo`
helpers (people `say`/`press`/`vote`, `settle()`, `sent(...)`, the `transcript`, files
under `demo.out`), import it, and insert it where it belongs in `STEPS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.demo.driver import Demo
from bot.demo.steps_answers import answers_step
from bot.demo.steps_changes import changes_step
from bot.demo.steps_event import checkin_step, feedback_step, reminders_step
from bot.demo.steps_members import members_step
from bot.demo.steps_paid import paid_step
from bot.demo.steps_plans import plans_step
from bot.demo.steps_salon import community_step, invite_step, salon_step, training_step
from bot.demo.steps_stats import stats_step

Step = Callable[[Demo], Awaitable[None]]

STEPS: list[Step] = [
    community_step,
    training_step,
    salon_step,
    invite_step,
    answers_step,
    changes_step,
    paid_step,
    reminders_step,
    checkin_step,
    feedback_step,
    stats_step,
    members_step,
    plans_step,
]
