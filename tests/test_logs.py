"""The redacting log formatter: secrets never printed, whatever their case or place."""

from __future__ import annotations

import io
import json
import logging

from bot.common.logs import setup_logging
from tests.conftest import TOKEN


def test_secrets_are_redacted_in_messages_arguments_and_tracebacks_in_any_case():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        setup_logging("DEBUG", [TOKEN, "webhook-secret-0123456789", ""], stream)
        log = logging.getLogger("salonbot.test")
        log.debug("url https://api.telegram.org/bot%s/getMe", TOKEN)
        log.warning("described: %s", f"No chat for bot{TOKEN}".capitalize())
        try:
            raise RuntimeError(f"header WEBHOOK-SECRET-0123456789 {TOKEN.upper()}")
        except RuntimeError:
            log.exception("failed")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert text.count("[redacted]") == 5, text
    assert TOKEN.split(":")[1].lower() not in text.lower()
    assert "webhook-secret" not in text.lower()


def test_ptb_debug_lines_never_show_what_members_wrote():
    from telegram import Update

    from tests.updates import EN_USER, message_json

    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    data = {"update_id": 1, "message": message_json("member's secret words", EN_USER)}
    try:
        setup_logging("DEBUG", [TOKEN], stream)
        logging.getLogger("telegram.ext.Application").debug("Processing update %s",
                                                            Update.de_json(data, None))  # fmt: skip
        bot_log = logging.getLogger("telegram.Bot")
        bot_log.debug("Call to Bot API endpoint `getUpdates` finished with return value `%s`",
                      [data])  # fmt: skip
        logging.getLogger("telegram.ext.Updater").debug("Webhook received data: %s",
                                                        json.dumps(data))  # fmt: skip
        logging.getLogger("salonbot.test").info("ours: %s", "kept as is")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "secret words" not in text and "Alice" not in text, text
    assert text.count("[hidden]") >= 6 and "ours: kept as is" in text
