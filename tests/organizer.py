"""Helpers for organizer tests: future local times, stored salons and signups, pressed buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.admins import drop_admins
from storage.models import OutboxMessage, Salon, Signup
from storage.models.salons import GOING, SALON_PUBLISHED
from storage.salons import NewSalon, add_salon
from storage.types import utcnow
from storage.users import UserInfo, upsert_user
from tests.fakes import FakeRequest
from tests.updates import COMMUNITY_ID, ORGANIZER

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH_ORGANIZER = {**ORGANIZER, "first_name": "王老师", "language_code": "zh-hans"}


def local_in(days: float, hour: int = 19, minute: int = 30) -> datetime:
    """A naive Shanghai wall-clock time `days` from now at hour:minute."""
    day = (datetime.now(SHANGHAI) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute)


def text_of(moment: datetime) -> str:
    """As organizers type it."""
    return moment.strftime("%Y-%m-%d %H:%M")


def utc_of(local: datetime) -> datetime:
    """A naive Shanghai time as aware UTC."""
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)


def buttons(call) -> dict[str, str]:
    """Button label -> callback_data (or url) of a recorded send/edit call."""
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def last_call(fake: FakeRequest, chat_id: int, methods=("sendMessage", "editMessageText")):
    """The newest message sent to (or edited in) a chat."""
    calls = [c for c in fake.calls if c.method in methods and c.params.get("chat_id") == chat_id]
    return calls[-1]


def alerts(fake: FakeRequest) -> list[str]:
    """Texts of answered callback queries that carried a text."""
    return [c.params["text"] for c in fake.calls_to("answerCallbackQuery") if "text" in c.params]


async def stored_salon(
    db,
    *,
    days: float = 3,
    status: str = SALON_PUBLISHED,
    community_id: int = COMMUNITY_ID,
    capacity: int | None = 10,
    title: str = "读书会：三体",
    ends_after: timedelta | None = None,
    announcement_message_id: int | None = 555,
) -> Salon:
    """A salon stored directly, starting `days` from now."""
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    async with db.begin() as session:
        salon = await add_salon(
            NewSalon(
                community_id, title, starts_at, capacity, location="书店",
                ends_at=starts_at + ends_after if ends_after else None, status=status,
            ),
            session=session,
        )  # fmt: skip
        salon.announcement_message_id = announcement_message_id
    return salon


async def stored_signup(
    db, salon_id: int, user: dict, status: str = GOING, *, source: str = "self"
) -> None:
    """A member's signup stored directly (the member side's commands are not ours)."""
    async with db.begin() as session:
        await upsert_user(
            UserInfo(
                user["id"],
                user["first_name"],
                username=user.get("username"),
                language_code=user.get("language_code"),
            ),  # fmt: skip
            session=session,
        )
        session.add(Signup(salon_id=salon_id, user_id=user["id"], status=status, source=source))
        if status == GOING:
            salon = await session.get(Salon, salon_id)
            salon.going_count += 1


async def outbox_rows(db) -> list[OutboxMessage]:
    """Every queued message, oldest first."""
    async with db.begin() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def salons_in(db) -> list[Salon]:
    """Every stored salon, oldest first."""
    async with db.begin() as session:
        return list(await session.scalars(select(Salon).order_by(Salon.id)))


async def expire_admin_lists(db) -> None:
    """As if the stored admin lists had expired: the next check asks Telegram again."""
    async with db.begin() as session:
        await drop_admins(None, utcnow(), session=session)
