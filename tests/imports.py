"""Helpers for import tests: a config file for the CLI, row counts, export JSON builders."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine, session_factory
from storage.models import (
    ActivityDay,
    Community,
    GroupMessage,
    MemberChange,
    Membership,
    Reaction,
    User,
)
from tests.conftest import TOKEN
from tests.updates import COMMUNITY_ID

TABLES = {"communities": Community, "users": User, "memberships": Membership,
          "messages": GroupMessage, "reactions": Reaction, "member_events": MemberChange,
          "rollups": ActivityDay}  # fmt: skip


def cli_config(directory: Path, db_url: str, store_text: bool = False) -> Path:
    """A config file for `salonbot import ...` on the test database."""
    path = directory / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n'
        f'[database]\nurl = "{db_url}"\nmigrate_on_start = false\n'
        f"[privacy]\nstore_text = {'true' if store_text else 'false'}\nretention_days = 36500\n"
        f'[[communities]]\nchat_id = {COMMUNITY_ID}\ntitle = "读书会"\n',
        encoding="utf-8",
    )
    return path


def row_counts(db_url: str) -> dict[str, int]:
    """Rows per activity table, and the messages counted in the rollups."""

    async def count() -> dict[str, int]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine).begin() as session:
                result = {
                    name: await session.scalar(select(func.count()).select_from(model))
                    for name, model in TABLES.items()
                }
                result["rollup_messages"] = await session.scalar(
                    select(func.coalesce(func.sum(ActivityDay.messages), 0))
                )
                result["rollup_reactions"] = await session.scalar(
                    select(func.coalesce(func.sum(ActivityDay.reactions_received), 0))
                )
                return result
        finally:
            await engine.dispose()

    return asyncio.run(count())


def fetch(db_url: str, statement) -> list:
    """Run one query on the test database from a synchronous test."""

    async def run() -> list:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine).begin() as session:
                return (await session.execute(statement)).all()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _message(mid: int, unix: int, new: bool, **fields) -> dict:
    iso = datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    data = {"id": mid, "type": "message", "date": iso}
    if new:
        data["date_unixtime"] = str(unix)
    data.update(fields)
    if new and isinstance(data.get("text"), str):
        data["text_entities"] = [{"type": "plain", "text": data["text"]}] if data["text"] else []
    return data


def _join(mid: int, unix: int, new: bool, actor: str, actor_id: str, **fields) -> dict:
    data = _message(mid, unix, new, actor=actor, actor_id=actor_id, text="", **fields)
    data["type"] = "service"
    data.setdefault("action", "join_group_by_link")
    if data["action"] == "join_group_by_link":
        data["inviter"] = "Group"
    return data


def export_like_sample(new: bool = True) -> dict:
    """The structure of a real small export: 3 joins by link, 7 messages (one a photo)."""
    t = 1669385429
    return {"name": "New", "type": "private_group", "id": 700209719, "messages": [
        _join(211331, t, new, "🦖", "user1156660166"),
        _join(211332, t + 87, new, ".", "user5759761889"),
        _message(211335, t + 147, new, **{"from": ".", "from_id": "user5759761889"},
                 text="Assalomu Aleykum"),
        _message(211336, t + 179, new, **{"from": "Naxalov", "from_id": "user86775091"},
                 photo="(File not included.)", width=1280, height=915, text=""),
        _message(211337, t + 202, new, **{"from": "🦖", "from_id": "user1156660166"},
                 text="assalomu alaykum"),
        _message(211338, t + 208, new, **{"from": "@𝐑𝐮𝐬𝐭𝐚𝐦𝐁𝐞𝐤", "from_id": "user1868330241"},
                 text="Assalomu alekum"),
        _message(211339, t + 252, new, **{"from": "🦖", "from_id": "user1156660166"},
                 text="25.11.2022"),
        _message(211340, t + 261, new, **{"from": ".", "from_id": "user5759761889"},
                 text="Bugun Juma"),
        _message(211341, t + 272, new, **{"from": "🦖", "from_id": "user1156660166"},
                 text="Python Online lesson"),
        _join(211342, t + 292, new, "Jalilov", "user1046157991"),
    ]}  # fmt: skip


def write_json(path: Path, data: dict) -> Path:
    """Write an export the way Telegram Desktop does (indented, UTF-8)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
