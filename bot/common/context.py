"""The callback context handlers receive: typed access to the shared services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.common.i18n import pick_language, translations

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

    from bot.activity.buffer import ActivityBuffer
    from bot.common.config import Config
    from bot.common.throttle import Throttle
    from bot.outbox.dispatcher import Dispatcher
    from bot.outbox.leader import Leadership
    from bot.stats.chart_pool import ChartPool


@dataclass
class BotData:
    """Services shared by every handler and job.

    `build_app` creates it with the config, the throttle and the dispatcher; the services
    that need the event loop (engine, sessions, activity buffer, leadership, chart pool) are
    set by `start_services` (post_init) before any update or job runs, so none is ever None
    where a handler reads it. `started` lists what `stop_services` has to close.
    """

    config: Config
    throttle: Throttle
    dispatcher: Dispatcher
    engine: AsyncEngine = field(init=False)
    db: async_sessionmaker = field(init=False)
    activity: ActivityBuffer = field(init=False)
    leader: Leadership = field(init=False)
    charts: ChartPool = field(init=False)
    started: list[str] = field(default_factory=list)
    api: Any = None  # the recommendation API's HTTP server (webhook mode, [api] enabled)
    # Several processes share one database (PostgreSQL): the limit is counted there too.
    shared_limit: bool = False
    # ... and organizers' dialogues live there (bot/salons/dialogues.py).
    shared_dialogues: bool = False
    dialogue: object | None = None  # the /newsalon ConversationHandler
    # Updates being handled under their person's dialogue lock: id(update) -> Turn.
    turns: dict[int, object] = field(default_factory=dict)
    # chat id -> (expires at, monotonic seconds; admin user ids)
    admin_cache: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)
    admin_failures: dict[int, float] = field(default_factory=dict)  # chat -> asked again after
    # job name -> when the next "database unavailable" warning may be logged (monotonic)
    outage_warned: dict[str, float] = field(default_factory=dict)
    # update id -> tries of an update replayed because the database was unavailable
    replays: dict[int, int] = field(default_factory=dict)
    # deep-link payload prefix -> handler(update, context, rest of payload)
    deep_links: dict[str, Callable[[Update, Context, str], Awaitable[None]]] = field(
        default_factory=dict
    )


class Context(CallbackContext[ExtBot, dict, dict, BotData]):
    """CallbackContext with `db`, `config` and the user's language."""

    def __init__(self, application: Application, chat_id=None, user_id=None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def config(self) -> Config:
        """The validated configuration."""
        return self.bot_data.config

    @property
    def db(self) -> async_sessionmaker:
        """Session factory: `async with context.db.begin() as session:`."""
        return self.bot_data.db

    def language(self, update: object) -> str:
        """'zh' or 'en' for the user behind this update."""
        user = update.effective_user if isinstance(update, Update) else None
        chat = update.effective_chat if isinstance(update, Update) else None
        community = self.config.community(chat.id) if chat else None
        if community is None and self.config.communities:
            community = self.config.communities[0]
        default = community.language if community else "en"
        return pick_language(user.language_code if user else None, default)

    def gettext(self, update: object):
        """The `_` function for this update's user."""
        return translations(self.language(update)).gettext
