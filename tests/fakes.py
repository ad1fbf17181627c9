"""Fakes for the network: a BaseRequest that answers like the Bot API without HTTP."""

from __future__ import annotations

from bot.sandbox.request import SandboxRequest
from bot.sandbox.server import Call


class FakeRequest(SandboxRequest):
    """Records `(method, parameters)` and answers with the sandbox's canned objects.

    Failures, delays and admins are configured on `.api` exactly as on a running sandbox.
    """

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
