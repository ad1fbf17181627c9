"""`salonbot import telegram-export FILE` and `salonbot import history DIR`.

Each import is one transaction: a bad row aborts it, nothing is written, and the error
names the file, line and field (exit status 2). Importing the same data again adds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.database import CliError, check_exists, check_schema, remove_sqlite_file, sqlite_file
from bot.common.config import Config, load_config
from bot.common.logs import setup_logging
from storage.db import create_engine, session_factory
from storage.importers.history import add_missing_communities, import_history
from storage.importers.telegram_export import ExportSummary, import_telegram_export
from storage.types import utcnow
from storage.users import CommunityInfo, upsert_communities


def add_import_parser(verbs, common: argparse.ArgumentParser) -> None:
    """The `import` verb with its two kinds of source."""
    parser = verbs.add_parser("import", help="import history (Telegram export, CSV files)")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    export = kinds.add_parser(
        "telegram-export", parents=[common], help="a Telegram Desktop chat export (result.json)"
    )
    export.add_argument("file", type=Path, help="the export's JSON file")
    export.add_argument(
        "--community-id", type=int,
        help="the community to import into (default: the exported chat's id as -100<id>); "
        "in a whole account's export also chooses the chat by its id",
    )  # fmt: skip
    export.add_argument(
        "--chat", metavar="NAME|ID",
        help="in a whole account's export (Export Telegram data): the group chat to import",
    )  # fmt: skip
    export.set_defaults(func=cmd_import_export)
    history = kinds.add_parser(
        "history", parents=[common], help="a directory of CSV files (docs/data-formats.md)"
    )
    history.add_argument("directory", type=Path, help="holds members.csv, events.csv, ...")
    history.add_argument(
        "--create-communities", action="store_true",
        help="create communities named in members.csv that are not configured (e.g. for "
        "evaluating on another source's data); without it they are an error",
    )  # fmt: skip
    history.set_defaults(func=cmd_import_history)


def _run(config: Config, work: Callable[[AsyncSession], Awaitable[object]]) -> object:
    """Migrate if configured, then run `work` in one transaction with communities synced.

    A SQLite file this import created is removed again when the import fails.
    """
    url = config.database.url
    setup_logging(config.logging.level, config.secrets)
    database = sqlite_file(url)
    created = database is not None and not database.exists()
    try:
        if config.database.migrate_on_start:
            _migrate(url)
        else:
            check_exists(url)
        return asyncio.run(_in_transaction(config, work))
    except BaseException:
        if created:
            remove_sqlite_file(database)
        raise


def _migrate(url: str) -> None:
    from storage.migrate import upgrade

    try:
        upgrade(url)
    except (SQLAlchemyError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CliError(f"cannot migrate the database ({type(error).__name__}: {first})") from None


async def _in_transaction(config: Config, work) -> object:
    engine = create_engine(config.database.url, echo=config.database.echo)
    try:
        await check_schema(engine, config.database.url)
        async with session_factory(engine).begin() as session:
            await upsert_communities(
                [CommunityInfo(c.chat_id, c.title, c.timezone, c.language)
                 for c in config.communities],
                session=session,
            )  # fmt: skip
            return await work(session)
    finally:
        await engine.dispose()


def _text_policy(config: Config) -> dict:
    since = utcnow() - timedelta(days=config.privacy.retention_days)
    return {"store_text": config.privacy.store_text, "text_since": since}


def cmd_import_export(args: argparse.Namespace) -> int:
    """Import a Telegram Desktop chat export."""
    config = load_config(args.config, require_token=False)
    summary = _run(config, lambda session: import_telegram_export(
        args.file, session=session, community_id=args.community_id, chat=args.chat,
        **_text_policy(config),
    ))  # fmt: skip
    for line in summary_lines(summary):
        print(line)
    return 0


def summary_lines(summary: ExportSummary) -> list[str]:
    """What the export held, counted as what, and what the import added."""
    added = summary.added
    lines = [
        f"community {summary.community_id} ({summary.title})"
        + (": created (not in the config)" if summary.created_community else ""),
        f"file: {summary.messages} messages, {summary.reactions} reactions, "
        f"{summary.joins} joins, {summary.leaves} leaves, {summary.members} members",
        f"added: {added.messages} messages, {added.reactions} reactions, "
        f"{added.member_events} join/leave events",
    ]
    notes = (
        (summary.channel_posts, "posts sent as a channel or as the group: community activity "
         "of no member (not counted as messages)"),
        (summary.channel_post_reactions, "of the reactions were members' reactions to those "
         "posts (kept)"),
        (summary.service, "other service messages (pins, topics, games, ...): seen activity of "
         "their actor"),
        (summary.other_chat_replies, "replies to another chat's message: counted as messages, "
         "not as replies"),
        (summary.duplicates, "messages repeating an earlier message id: skipped (first kept)"),
        (summary.unresolved_names, "invited/removed members named without an id: not counted "
         "as members"),
    )  # fmt: skip
    lines += [f"{count} {text}" for count, text in notes if count]
    return lines


def cmd_import_history(args: argparse.Namespace) -> int:
    """Import a directory of history CSV files."""
    config = load_config(args.config, require_token=False)

    async def work(session: AsyncSession):
        if args.create_communities:
            created = await add_missing_communities(args.directory, session=session)
            if created:
                print(f"created {len(created)} communities not in the config", file=sys.stderr)
        return await import_history(
            args.directory, session=session, progress=sys.stderr.isatty(), **_text_policy(config)
        )

    result = _run(config, work)
    for name, counts in result.files.items():
        print(f"{name}: {counts.rows} rows, {counts.added} new")
    for name in result.ignored:
        print(f"{name}: ignored (no importer for this file)")
    return 0
