"""The webhook server PTB runs, hardened: bounded bodies, a constant-time secret, quiet logs.

PTB's own server (`telegram.ext._utils.webhookhandler`) buffers bodies up to tornado's
100 MB default before it looks at the secret, compares the secret with `!=`, and logs every
body it receives (DEBUG) or fails to parse (CRITICAL, in full). `install()` makes
`Application.run_webhook` use the classes below instead:

- bodies over `MAX_BODY` bytes are refused from the Content-Length header (400) before the
  body is read, and a body streamed without one is cut off at the limit;
- the secret token is compared with `hmac.compare_digest`;
- a body is never logged: a malformed one is reported with its length only.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus

import tornado.web
from telegram import Update
from telegram.ext import ExtBot
from telegram.ext._utils import webhookhandler
from tornado.httpserver import HTTPServer

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # Telegram's updates are far smaller (a message is at most 4096 chars)


class TelegramHandler(webhookhandler.TelegramHandler):
    """One POST from Telegram: checked, parsed and queued; its body never logged."""

    async def post(self) -> None:
        """Queue the update in the body (400 for a body that is not one)."""
        self._validate_post()
        body = self.request.body
        try:
            update = Update.de_json(json.loads(body.decode()), self.bot)
        except Exception as error:  # noqa: BLE001 (any parse failure is the sender's)
            logger.warning("webhook: a body of %d bytes is no update (%s)", len(body),
                           type(error).__name__)  # fmt: skip
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="Not an update") from None
        self.set_status(HTTPStatus.OK)
        if update:
            if isinstance(self.bot, ExtBot):
                self.bot.insert_callback_data(update)
            await self.update_queue.put(update)

    def _validate_post(self) -> None:
        if self.request.headers.get("Content-Type") != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self.secret_token is not None:
            token = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
            if not hmac.compare_digest(token.encode(), self.secret_token.encode()):
                raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN, reason="Wrong secret token")

    def log_exception(self, typ, value, tb) -> None:
        """Errors are the sender's: one line, no body, no traceback."""
        logger.debug("webhook request refused: %s", value)


class WebhookApp(webhookhandler.WebhookAppClass):
    """PTB's webhook application with the handler above."""

    def __init__(self, webhook_path: str, bot, update_queue, secret_token: str | None = None):
        self.shared_objects = {"bot": bot, "update_queue": update_queue,
                               "secret_token": secret_token}  # fmt: skip
        handlers = [(rf"{webhook_path}/?", TelegramHandler, self.shared_objects)]
        tornado.web.Application.__init__(self, handlers)


class WebhookServer(webhookhandler.WebhookServer):
    """PTB's webhook server with bodies bounded to `MAX_BODY` bytes."""

    def __init__(self, listen, port, webhook_app, ssl_ctx, unix=None) -> None:
        super().__init__(listen, port, webhook_app, ssl_ctx, unix)
        self._http_server = HTTPServer(webhook_app, ssl_options=ssl_ctx, max_body_size=MAX_BODY)


def install() -> None:
    """Make `Application.run_webhook` serve with the classes above."""
    from telegram.ext import _updater

    _updater.WebhookAppClass = WebhookApp
    _updater.WebhookServer = WebhookServer
