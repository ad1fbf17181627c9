"""Fakes for the network: a BaseRequest that answers like the Bot API without HTTP."""

from __future__ import annotations

import json

from telegram.request import BaseRequest, RequestData

from bot.sandbox import BotApiSandbox, Call


class FakeRequest(BaseRequest):
    """Records `(method, parameters)` and answers with the sandbox's canned objects.

    Failures, delays and admins are configured on `.api` exactly as on a running sandbox.
    """

    def __init__(self) -> None:
        self.api = BotApiSandbox()

    @property
    def calls(self) -> list[Call]:
        """Every call made, in order."""
        return self.api.calls

    def calls_to(self, method: str, **match) -> list[Call]:
        """Calls of `method` whose parameters include `match`."""
        return self.api.calls_to(method, **match)

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of sendMessage calls (to one chat, or all)."""
        match = {} if chat_id is None else {"chat_id": chat_id}
        return [c.params["text"] for c in self.calls_to("sendMessage", **match)]

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        if request_data and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                filename, content = value[0], value[1]
                params[name] = {"filename": filename, "data": content}
        status, payload = self.api.answer(url.rsplit("/", 1)[-1], params)
        return status, json.dumps(payload).encode()
