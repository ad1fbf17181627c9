"""A `BaseRequest` that answers like the Bot API without HTTP (tests, benchmarks, the demo)."""

from __future__ import annotations

import json

import httpx
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.sandbox.server import BotApiSandbox


class SandboxRequest(BaseRequest):
    """Plugs `BotApiSandbox.answer` into PTB: calls are recorded on `.api`, nothing is sent.

    Use with `build_app(config, request=SandboxRequest())`; failures, delays and admins are
    configured on `.api` exactly as on a running sandbox.
    """

    def __init__(self, api: BotApiSandbox | None = None) -> None:
        self.api = api or BotApiSandbox()

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
        method = url.rsplit("/", 1)[-1]
        late = self.api.take_stall(method)
        status, payload = self.api.answer(method, params)
        if late:  # carried out, but the answer never comes in time: what a read timeout is
            raise TimedOut("Timed out") from httpx.ReadTimeout("no answer in time")
        return status, json.dumps(payload).encode()
