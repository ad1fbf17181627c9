"""The `salonbot` command line: one sub-command per verb (`salonbot --help` lists them)."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version

from telegram.error import InvalidToken, NetworkError

from bot.cli.demo import add_demo_parser
from bot.cli.imports import add_import_parser
from bot.cli.models import CliError, add_model_verbs
from bot.cli.plans import add_plan_verb
from bot.cli.recommend import add_recommend_verb
from bot.cli.stats import add_stats_verb
from bot.common.config import Config, ConfigError, load_config
from bot.common.logs import setup_logging
from storage.importers import ImportDataError

logger = logging.getLogger("salonbot")


def _version() -> str:
    try:
        return version("salonbot")
    except PackageNotFoundError:
        return "0+unknown"


def cmd_version(_args: argparse.Namespace) -> int:
    """Print the installed version."""
    print(f"salonbot {_version()}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the database schema to the newest revision."""
    from storage.migrate import head_revision, upgrade

    config = load_config(args.config, require_token=False)
    setup_logging(config.logging.level, config.secrets)
    upgrade(config.database.url)
    print(f"database is at revision {head_revision(config.database.url)}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Apply pending migrations (if configured) and run the bot until stopped."""
    from bot.app import ALLOWED_UPDATES, build_app
    from storage.migrate import upgrade

    config: Config = load_config(args.config)
    setup_logging(config.logging.level, config.secrets)
    if config.database.migrate_on_start:
        upgrade(config.database.url)
    app = build_app(config)
    logger.info("salonbot %s starting in %s mode", _version(), config.telegram.mode)
    if config.telegram.mode == "webhook":
        from bot.webhook import install

        install()  # bounded bodies, a constant-time secret, no bodies in logs
        hook = config.telegram.webhook
        app.run_webhook(
            listen=hook.listen,
            port=hook.port,
            url_path=hook.path,
            webhook_url=hook.url,
            secret_token=hook.secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per verb."""
    parser = argparse.ArgumentParser(prog="salonbot", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", default="config.toml", help="path to the TOML config (default: ./config.toml)"
    )
    for name, func, help_text, parents in (
        ("run", cmd_run, "run the bot (long polling or webhook)", [common]),
        ("migrate", cmd_migrate, "upgrade the database schema to the newest revision", [common]),
        ("version", cmd_version, "print the version", []),
    ):
        sub = verbs.add_parser(name, help=help_text, description=help_text, parents=parents)
        sub.set_defaults(func=func)
    add_model_verbs(verbs, common)
    add_plan_verb(verbs, common)
    add_import_parser(verbs, common)
    add_demo_parser(verbs)
    add_stats_verb(verbs, common)
    add_recommend_verb(verbs, common)
    # The summary names every verb registered above, so a new verb cannot be left out of it.
    parser.description = f"The salonbot command line: {', '.join(verbs.choices)}."
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `salonbot` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        print(f"salonbot: config error: {error}", file=sys.stderr)
        return 2
    except CliError as error:
        print(f"salonbot: {error}", file=sys.stderr)
        return 2
    except ImportDataError as error:
        print(f"salonbot: import failed, nothing was written: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except InvalidToken:
        print("salonbot: the Bot API server rejected telegram.token", file=sys.stderr)
        return 2
    except NetworkError as error:
        print(f"salonbot: cannot reach the Bot API server ({error}); check telegram.api_base_url",
              file=sys.stderr)  # fmt: skip
        return 1


if __name__ == "__main__":
    sys.exit(main())
