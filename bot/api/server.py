"""The read-only recommendation API: `GET /recommend_activities?user_id=ID[&community_id=ID]`.

The same JSON as `salonbot recommend --json`, behind `Authorization: Bearer <api.token>`.
It runs on its own port next to the webhook (tornado, which PTB's webhook mode uses too),
only when `[api] enabled` and the bot is in webhook mode.
"""

from __future__ import annotations

import hmac
import json
import logging
import re

from sqlalchemy.ext.asyncio import async_sessionmaker
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.common.config import ApiConfig
from bot.recommendations.service import UnknownMember, as_json, member_communities, recommend

logger = logging.getLogger(__name__)
_ID_RE = re.compile(r"^-?\d{1,19}$")


class RecommendHandler(RequestHandler):
    """GET: the member's upcoming salons, best fit first."""

    def initialize(self, db: async_sessionmaker, token: str) -> None:
        self.db = db
        self.token = token

    def _reply(self, status: int, body: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, ensure_ascii=False))

    def _authorized(self) -> bool:
        header = self.request.headers.get("Authorization", "")
        scheme, _sep, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        )

    def _id(self, name: str, required: bool) -> int | None:
        value = self.get_query_argument(name, None)
        if value is None and not required:
            return None
        if value is None or not _ID_RE.match(value):
            raise ValueError(f"{name} must be an integer")
        return int(value)

    async def get(self) -> None:
        if not self._authorized():
            self.set_header("WWW-Authenticate", 'Bearer realm="salonbot"')
            self._reply(401, {"error": "missing or wrong bearer token"})
            return
        try:
            user_id = self._id("user_id", True)
            community_id = self._id("community_id", False)
        except ValueError as error:
            self._reply(400, {"error": str(error)})
            return
        async with self.db.begin() as session:
            try:
                ids = await member_communities(user_id, community_id, session=session)
            except UnknownMember as error:
                self._reply(404, {"error": str(error)})
                return
            self._reply(200, as_json(await recommend(user_id, ids, session=session)))


def make_api(db: async_sessionmaker, config: ApiConfig) -> Application:
    """The tornado application of the API."""
    return Application([(r"/recommend_activities", RecommendHandler,
                         {"db": db, "token": config.token})])  # fmt: skip


def start_api(db: async_sessionmaker, config: ApiConfig) -> HTTPServer:
    """Listen on config.listen:config.port (on the running event loop)."""
    server = HTTPServer(make_api(db, config), xheaders=False)
    server.listen(config.port, address=config.listen)
    logger.info("recommendation API listening on %s:%s", config.listen, config.port)
    return server


async def stop_api(server: HTTPServer) -> None:
    """Stop listening and close open connections."""
    server.stop()
    await server.close_all_connections()
