"""The one composition root: every handler, job and the error handler are registered here."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.activity import FLUSH_SECONDS, ActivityBuffer
from bot.commands import commands_for
from bot.config import Config
from bot.context import BotData, Context
from bot.handlers import activity, chats, errors, start
from bot.i18n import translations
from bot.jobs import flush_activity_job, retention_job
from storage.db import create_engine, session_factory
from storage.users import CommunityInfo, upsert_communities

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.MESSAGE_REACTION,
    Update.MESSAGE_REACTION_COUNT,
    Update.CHAT_MEMBER,
    Update.MY_CHAT_MEMBER,
    Update.CALLBACK_QUERY,
    Update.POLL_ANSWER,
    Update.PRE_CHECKOUT_QUERY,
]


def build_app(config: Config, *, request: BaseRequest | None = None) -> Application:
    """Build the Application with every handler, job and the error handler."""
    builder = (
        Application.builder()
        .token(config.telegram.token)
        .base_url(config.telegram.bot_base_url)
        .base_file_url(config.telegram.file_base_url)
        .context_types(ContextTypes(context=Context, bot_data=BotData))
        .post_init(start_services)
        .post_shutdown(stop_services)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data.config = config

    configured = [c.chat_id for c in config.communities]
    unknown_group = filters.ChatType.GROUPS & ~filters.Chat(chat_id=configured)
    app.add_handler(MessageHandler(unknown_group, chats.unknown_group_message), group=-2)
    app.add_handler(TypeHandler(Update, activity.track_activity), group=-1)
    app.add_handler(
        ChatMemberHandler(chats.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start.start, filters=private))
    app.add_handler(CommandHandler("help", start.help_command))
    app.add_error_handler(errors.on_error)

    jobs = app.job_queue
    # The job only starts a flush; a second instance is allowed while a busy loop lags.
    jobs.run_repeating(flush_activity_job, FLUSH_SECONDS, first=FLUSH_SECONDS, name="activity",
                       job_kwargs={"max_instances": 2, "coalesce": True})  # fmt: skip
    jobs.run_repeating(retention_job, timedelta(days=1), first=timedelta(minutes=5),
                       name="retention")  # fmt: skip
    return app


async def start_services(app: Application) -> None:
    """Open the database, sync the configured communities, publish the command menus."""
    data: BotData = app.bot_data
    config = data.config
    data.engine = create_engine(config.database.url, echo=config.database.echo)
    data.db = session_factory(data.engine)
    async with data.db.begin() as session:
        await upsert_communities(
            [CommunityInfo(c.chat_id, c.title, c.timezone, c.language) for c in config.communities],
            session=session,
        )
    data.activity = ActivityBuffer(
        data.db,
        communities=frozenset(c.chat_id for c in config.communities),
        store_text=config.privacy.store_text,
        retention_days=config.privacy.retention_days,
    )
    await publish_commands(app)


async def stop_services(app: Application) -> None:
    """Write the buffered activity, then close what `start_services` opened."""
    if app.bot_data.activity is not None:
        await app.bot_data.activity.close()
    if app.bot_data.engine is not None:
        await app.bot_data.engine.dispose()


async def publish_commands(app: Application) -> None:
    """setMyCommands per language and for organizers; failures are logged and tolerated."""
    config: Config = app.bot_data.config

    def menu(language: str, organizer: bool) -> list[BotCommand]:
        _ = translations(language).gettext
        return [BotCommand(c.name, _(c.description)) for c in commands_for(organizer)]

    calls = [(menu("en", False), BotCommandScopeDefault(), None)]
    calls.append((menu("zh", False), BotCommandScopeDefault(), "zh"))
    organizers = {o: c.language for c in config.communities for o in c.organizers}
    calls += [(menu(lang, True), BotCommandScopeChat(o), None) for o, lang in organizers.items()]
    for commands, scope, language in calls:
        try:
            await app.bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as error:
            logger.warning("setMyCommands failed (%s); the bot keeps running", error)
