"""The one composition root: every handler, job and the error handler are registered here."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from apscheduler.triggers.cron import CronTrigger
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

import bot.activity.tracker as activity
import bot.attendance.checkin as attendance
import bot.attendance.feedback as feedback
import bot.campaigns.invitation_buttons as invitations
import bot.campaigns.invite as invite
import bot.errors as errors
import bot.incentives.handlers as incentives
import bot.materials.handlers as materials
import bot.members.chats as chats
import bot.members.start as start
import bot.plans.handlers as plans
import bot.privacy.handlers as privacy
import bot.salons.broadcast as broadcast
import bot.salons.browse as members
import bot.salons.co_organizers as co_organizers
import bot.salons.create as newsalon
import bot.salons.dialogues as dialogues
import bot.salons.manage as manage
import bot.salons.roster as roster
import bot.salons.series as series
import bot.seats.handlers as signups
import bot.seats.payment_handlers as payments
import bot.stats.handlers as stats
from bot import callbacks
from bot.activity.buffer import FLUSH_SECONDS, ActivityBuffer
from bot.api.server import start_api, stop_api
from bot.common.config import Config
from bot.common.context import BotData, Context
from bot.common.i18n import translations
from bot.common.throttle import Throttle, throttle
from bot.incentives.jobs import leaderboard_job, points_job
from bot.jobs import (
    campaigns_job,
    feedback_job,
    flush_activity_job,
    mark_no_shows_job,
    nightly_training_job,
    organizers_job,
    reminders_job,
    retention_job,
    series_job,
    waitlist_job,
)
from bot.materials.jobs import materials_job
from bot.members.commands import commands_for
from bot.outbox.dispatcher import DISPATCH_SECONDS, Dispatcher, dispatch_job
from bot.outbox.leader import leader_job, make_leadership
from bot.outbox.render import make_renderer
from bot.salons.access import stale_button
from bot.seats.refund_job import refunds_job
from bot.stats.chart_pool import ChartPool
from bot.updates import PaymentsFirst
from storage.db import create_engine, session_factory
from storage.leader import is_postgres
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


class SalonApplication(Application):
    """PTB's Application, but an update that may touch an organizer's dialogue is handled
    under that person's lock, and what they have open is saved after it (several processes
    on PostgreSQL: bot/salons/dialogues.py)."""

    async def process_update(self, update: object) -> None:  # noqa: D102
        async with dialogues.one_at_a_time(self, update):
            await super().process_update(update)


def build_app(config: Config, *, request: BaseRequest | None = None) -> Application:
    """Build the Application with every handler, job and the error handler."""
    builder = (
        Application.builder()
        .application_class(SalonApplication)
        .token(config.telegram.token)
        .base_url(config.telegram.bot_base_url)
        .base_file_url(config.telegram.file_base_url)
        .context_types(
            ContextTypes(
                context=Context,
                bot_data=partial(
                    BotData,
                    config,
                    Throttle(config.limits.commands_per_user, config.limits.window_seconds),
                    Dispatcher(config.messaging, render=make_renderer(config)),
                ),
            )
        )  # fmt: skip
        .post_init(start_services)
        .post_shutdown(stop_services)
        .concurrent_updates(PaymentsFirst())  # pre-checkout queries never wait in line
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data.shared_limit = is_postgres(config.database.url)
    app.bot_data.shared_dialogues = is_postgres(config.database.url)

    configured = [c.chat_id for c in config.communities]
    unknown_group = filters.ChatType.GROUPS & ~filters.Chat(chat_id=configured)
    # Groups run in order: -4 unknown chats (stop), -3 activity tracking, -2 the per-member
    # limit (stop), -1 an organizer's dialogue as the database has it, then the features.
    app.add_handler(MessageHandler(unknown_group, chats.unknown_group_message), group=-4)
    app.add_handler(TypeHandler(Update, activity.track_activity), group=-3)
    app.add_handler(TypeHandler(Update, throttle), group=-2)
    app.add_handler(TypeHandler(Update, dialogues.load_dialogue), group=-1)
    app.add_handler(
        ChatMemberHandler(chats.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    app.add_handler(ChatMemberHandler(chats.admins_changed, ChatMemberHandler.CHAT_MEMBER))
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start.start, filters=private))
    app.add_handler(CommandHandler("help", start.help_command))
    app.add_handler(CommandHandler("whoami", chats.whoami))
    register_members(app, config)
    register_organizers(app, config)
    # Any other button (forged, or from an old version): answered, so the client stops waiting.
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(errors.on_error)

    jobs = app.job_queue
    # The job only starts a flush; a second instance is allowed while a busy loop lags.
    jobs.run_repeating(flush_activity_job, FLUSH_SECONDS, first=FLUSH_SECONDS, name="activity",
                       job_kwargs={"max_instances": 2, "coalesce": True})  # fmt: skip
    jobs.run_repeating(retention_job, timedelta(days=1), first=timedelta(minutes=5),
                       name="retention")  # fmt: skip
    if is_postgres(config.database.url):  # several processes: elect the one that sends
        interval = config.leader.interval_seconds
        jobs.run_repeating(leader_job, interval, first=interval, name="leader")
    return app


def register_organizers(app: Application, config: Config) -> None:
    """Organizer commands and buttons, self check-in, the no-show tick."""
    private = filters.ChatType.PRIVATE
    # /newsalon and the Edit buttons share one dialogue; then the S: buttons.
    app.bot_data.dialogue = newsalon.salon_conversation()
    app.add_handler(app.bot_data.dialogue)
    app.add_handler(CommandHandler("salons", manage.list_salons, filters=private))
    app.add_handler(CommandHandler("plan", plans.plan_salons, filters=private))
    app.add_handler(
        CallbackQueryHandler(plans.draft_plan, pattern=callbacks.pattern(callbacks.PLAN))
    )
    app.add_handler(CommandHandler("here", attendance.here, filters=private))
    app.add_handler(CommandHandler("invite", invite.invite_command, filters=private))
    app.add_handler(CommandHandler("materials", materials.attach_materials, filters=private))
    app.add_handler(CommandHandler("series", series.series_command, filters=private))
    # Sent in the group: a short answer with a button to the private chat.
    in_group = ["newsalon", "salons", "plan", "here", "invite", "materials", "series"]
    app.add_handler(
        CommandHandler(in_group, members.open_private_chat, filters=filters.ChatType.GROUPS)
    )
    # Every button's pattern comes from bot.callbacks; the S: catch-all answers the rest.
    # O: a salon's attendees (CSV, "Message attendees"), co-organizers and series.
    for handler, pattern in (
        (invite.on_button, callbacks.pattern(callbacks.INVITE, *invite.ORGANIZER_ACTIONS)),
        (invitations.on_button, callbacks.pattern(callbacks.INVITE)),
        (manage.on_button, callbacks.pattern(callbacks.SALON, *manage.ACTIONS)),
        (attendance.on_button, callbacks.pattern(callbacks.SALON, *attendance.SHAPES)),
        (stale_button, callbacks.pattern(callbacks.SALON)),
        (stats.on_button, callbacks.pattern(callbacks.STATS)),
        (roster.on_button, callbacks.pattern(callbacks.ORGANIZE, "csv")),
        (co_organizers.on_button, callbacks.pattern(callbacks.ORGANIZE, "co", "rm")),
        (series.on_button, callbacks.pattern(callbacks.ORGANIZE, "ss")),
        (broadcast.on_button, callbacks.pattern(callbacks.ORGANIZE)),
    ):
        app.add_handler(CallbackQueryHandler(handler, pattern=pattern))
    # "Message attendees" takes its text as a reply (group 2); co-organizers are named in a
    # reply too (group 3).
    draft = private & filters.REPLY & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(draft, broadcast.draft_message), group=2)
    app.add_handler(MessageHandler(draft, co_organizers.name_co_organizer), group=3)
    app.add_handler(CommandHandler("stats", stats.stats_command, filters=private))
    app.add_handler(CommandHandler("export", stats.export_command, filters=private))
    app.add_handler(CommandHandler(["stats", "export"], stats.group_stats,
                                   filters=filters.ChatType.GROUPS))  # fmt: skip
    app.bot_data.deep_links["stats"] = stats.stats_deep_link
    app.bot_data.deep_links["h"] = attendance.checkin_deep_link
    app.job_queue.run_repeating(
        mark_no_shows_job, interval=config.schedule.tick_seconds, name="no_shows"
    )
    app.job_queue.run_repeating(
        campaigns_job, interval=config.schedule.tick_seconds, first=1.0, name="campaigns_job"
    )
    app.job_queue.run_repeating(
        organizers_job, interval=config.schedule.tick_seconds, first=1.0, name="organizers_job"
    )
    app.job_queue.run_repeating(
        series_job, interval=config.schedule.tick_seconds, first=1.0, name="series_job"
    )


def register_members(app: Application, config: Config) -> None:
    """Member commands, their buttons and deep links, feedback, the scheduled ticks."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("events", members.show_events, filters=private))
    app.add_handler(CommandHandler("join", signups.join_command, filters=private))
    app.add_handler(CommandHandler("leave", signups.leave_command, filters=private))
    app.add_handler(CommandHandler("mysalons", members.my_salons, filters=private))
    app.add_handler(CommandHandler("privacy", privacy.privacy_command, filters=private))
    app.add_handler(CommandHandler("me", incentives.me_command, filters=private))
    app.add_handler(CommandHandler("invitefriend", incentives.invite_friend, filters=private))
    app.add_handler(
        CommandHandler(
            list(members.MEMBER_COMMANDS),
            members.open_private_chat,
            filters=filters.ChatType.GROUPS,
        )
    )
    for prefix, handler in (
        (callbacks.JOIN, signups.join_button),
        (callbacks.LEAVE, signups.leave_button),
        (callbacks.CLAIM, signups.claim_button),
        (callbacks.EVENTS, members.events_order),
        (callbacks.POINTS, incentives.leaderboard_button),
        (callbacks.PRIVACY, privacy.on_button),
    ):
        app.add_handler(CallbackQueryHandler(handler, pattern=callbacks.pattern(prefix)))
    app.add_handler(PollAnswerHandler(feedback.poll_answer))
    app.add_handler(PreCheckoutQueryHandler(payments.pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT & private,
                                   payments.successful_payment))  # fmt: skip
    # Its own group: other features may handle private replies too.
    comment = private & filters.REPLY & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(comment, feedback.save_comment), group=1)
    app.bot_data.deep_links["j"] = signups.join_deep_link
    app.bot_data.deep_links["events"] = members.events_deep_link
    app.bot_data.deep_links["privacy"] = privacy.privacy_deep_link
    app.bot_data.deep_links["r"] = incentives.referral_deep_link

    tick = config.schedule.tick_seconds
    for job in (reminders_job, feedback_job, waitlist_job, refunds_job, points_job,
                leaderboard_job, materials_job):  # fmt: skip
        app.job_queue.run_repeating(job, interval=tick, first=1.0, name=job.__name__)
    # One nightly run per community, at the cron's hour in that community's timezone.
    for community in config.communities:
        trigger = CronTrigger.from_crontab(config.schedule.nightly_cron, community.zone)
        app.job_queue.run_custom(nightly_training_job, job_kwargs={"trigger": trigger},
                                 data=community.chat_id, name="nightly_training_job")  # fmt: skip
    app.job_queue.run_repeating(
        dispatch_job,
        interval=DISPATCH_SECONDS,
        first=DISPATCH_SECONDS,
        name="dispatch_job",
        data=app.bot_data.dispatcher,
        # The dispatcher's lock makes an overlap of two ticks a no-op.
        job_kwargs={"max_instances": 3, "coalesce": True},
    )


async def start_services(app: Application) -> None:
    """Open the database, sync the communities, join the leader election, publish the menus."""
    data: BotData = app.bot_data
    config = data.config
    data.engine = create_engine(config.database.url, echo=config.database.echo)
    data.started.append("engine")
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
    data.started.append("activity")
    # Leading starts with recovering the sends a crashed leader left in flight (outbox/leader.py).
    data.leader = make_leadership(app)
    data.dispatcher.fence = data.leader.fence
    data.started.append("leader")
    await data.leader.start()
    data.charts = ChartPool(config.stats.chart_workers)
    data.started.append("charts")
    if config.api.enabled and config.telegram.mode == "webhook":
        data.api = start_api(data.db, config.api)
    await publish_commands(app)


async def stop_services(app: Application) -> None:
    """Finish the sends in flight, release the leader lock, write the activity, close the db."""
    data: BotData = app.bot_data
    if data.api is not None:
        await stop_api(data.api)
    await data.dispatcher.close()
    # Only what start_services got to (it may have failed half-way, e.g. database down).
    if "leader" in data.started:
        await data.leader.close()
    if "activity" in data.started:
        await data.activity.close()
    if "charts" in data.started:
        await data.charts.close()
    if "engine" in data.started:
        await data.engine.dispose()


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
