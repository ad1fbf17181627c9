"""The demo's world: a simulated community, its members as Telegram users, its config file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from recommender.sim.community import Community, simulate_community
from recommender.sim.salons import planted_response
from recommender.topics import TOPIC_KEYS, TOPICS

CHAT_ID = -1001000000001
TITLE = "周末沙龙会 Weekend Salon Club"
TIMEZONE = "Asia/Shanghai"
TOKEN = "123456789:DEMO-not-a-real-token"
LOCATION = "静安区图书馆 3 楼 · Jing'an Library, 3F"
ORGANIZER_ID = 10_001
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "婷", "浩", "雪", "琳", "晨", "悦")
FIRST = ("Alice", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack")
FIRST += ("Kate", "Leo", "Mia", "Noah", "Ruby", "Paul", "Sara", "Tom", "Tara", "Victor")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Persona:
    """A simulated member (or the organizer) as a Telegram user."""

    user_id: int
    name: str
    language_code: str  # "zh-hans" or "en"
    reachable: bool = True  # has started the bot in a private chat

    def user_json(self) -> dict:
        """The Bot API User object."""
        return {"id": self.user_id, "is_bot": False, "first_name": self.name,
                "language_code": self.language_code}  # fmt: skip


@dataclass
class World:
    """The simulated community, its people, and the demo's random generator."""

    community: Community
    members: dict[int, Persona]
    organizer: Persona
    now: pd.Timestamp
    rng: np.random.Generator


def _languages(community: Community, rng: np.random.Generator) -> dict[int, str]:
    """Members who write Chinese in the group use a Chinese client; others draw 60/40."""
    texts = community.texts
    writes_zh = texts.groupby("user_id")["text"].agg(lambda t: any(_CJK.search(x) for x in t))
    out = {}
    for user_id in community.members["user_id"]:
        zh = writes_zh.get(user_id)
        zh = bool(zh) if zh is not None else rng.random() < 0.6
        out[int(user_id)] = "zh-hans" if zh else "en"
    return out


def _name(index: int, zh: bool) -> str:
    if zh:
        return SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
    return f"{FIRST[index % len(FIRST)]} {chr(65 + (index // len(FIRST)) % 26)}."


def build_world(members: int, seed: int, narration: str) -> World:
    """Simulate 8 weeks of a community ending today, with 6 past salons."""
    now = pd.Timestamp.now(tz="UTC")
    start = now.floor("D") - pd.Timedelta(weeks=8)
    community = simulate_community(members, weeks=8, n_salons=6, seed=seed,
                                   community_id=CHAT_ID, start=start)  # fmt: skip
    rng = np.random.default_rng(seed)
    languages = _languages(community, rng)
    people = {}
    for index, row in enumerate(community.members.itertuples(index=False)):
        zh = languages[int(row.user_id)] == "zh-hans"
        people[int(row.user_id)] = Persona(
            int(row.user_id), _name(index, zh), languages[int(row.user_id)], bool(row.reachable)
        )
    organizer = Persona(ORGANIZER_ID, "王老师" if narration == "zh" else "Olivia",
                        "zh-hans" if narration == "zh" else "en")  # fmt: skip
    return World(community, people, organizer, now, rng)


@dataclass(frozen=True)
class SalonPlan:
    """The salon the organizer creates, and how members would answer it (ground truth)."""

    title: str
    tag: str
    local_start: datetime
    capacity: int
    truth: pd.DataFrame  # recommender.sim.salons.planted_response, indexed by user_id

    def one_liner(self) -> str:
        """The organizer's /newsalon command."""
        when = self.local_start.strftime("%Y-%m-%d %H:%M")
        return f"/newsalon {self.title} | {when} | {self.capacity} | {LOCATION} | {self.tag}"


def plan_salon(world: World) -> SalonPlan:
    """A salon next week on the community's favourite topic, a little smaller than demand."""
    interests = world.community.interests
    tag = TOPIC_KEYS[int(np.argmax(interests[list(TOPIC_KEYS)].sum().to_numpy()))]
    topic = TOPICS[tag]
    title = f"{topic['name'][1]}沙龙：{topic['zh'][0]} · {topic['name'][0]} salon: {topic['en'][0]}"
    truth = planted_response(world.community, [tag], world.now).set_index("user_id")
    reachable = [u for u, p in world.members.items() if p.reachable]
    demand = truth.loc[reachable, "p_invited"].nlargest(max(len(reachable) // 3, 1)).sum()
    day = (world.now.tz_convert(TIMEZONE) + pd.Timedelta(days=7)).date()
    local_start = datetime(day.year, day.month, day.day, 19, 30)
    return SalonPlan(title, tag, local_start, max(3, int(demand * 0.8)), truth)


def starts_at_utc(plan: SalonPlan) -> datetime:
    """The planned start as aware UTC."""
    return plan.local_start.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(ZoneInfo("UTC"))


def config_text(out: Path, api_base_url: str, organizer_id: int) -> str:
    """The demo's config file: fast ticks and dispatcher, no quiet hours, texts kept."""
    database = (out / "demo.db").resolve()
    return f"""# Written by `salonbot demo`; the Bot API server was the demo's local sandbox.
[telegram]
token = "{TOKEN}"
api_base_url = "{api_base_url}"

[database]
url = "sqlite+aiosqlite:///{database}"

[[communities]]
chat_id = {CHAT_ID}
title = "{TITLE}"
timezone = "{TIMEZONE}"
language = "zh"
organizers = [{organizer_id}]

[communities.points]
leaderboard = true

[schedule]
tick_seconds = 0.5

[messaging]
global_rate_per_second = 30
per_chat_interval_seconds = 0
quiet_hours_start = "00:00"
quiet_hours_end = "00:00"

[campaigns]
spread_hours = 0.01

[privacy]
store_text = true

[models]
model_dir = "{(out / "models").resolve()}"

[limits]
commands_per_user = 100

[logging]
level = "WARNING"
"""
