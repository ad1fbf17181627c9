"""A local, in-memory Bot API server for tests, benchmarks and `salonbot demo`.

It speaks enough of the Bot API over HTTP for the real bot (through `api_base_url`) to run
against it: it records every call, serves queued updates to getUpdates, answers sends with
realistic objects, and can delay, fail or rate-limit chosen methods. Standard library only.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from bot.sandbox.payments import PaymentsSide, invoice_total

SEND_METHODS = {
    "sendMessage", "sendDocument", "sendPhoto", "sendPoll", "sendInvoice", "sendMediaGroup",
    "copyMessage", "forwardMessage", "sendLocation", "sendVenue",
}  # fmt: skip


# Free-text parameters: never JSON-decoded, so a message "123" stays a string.
TEXT_FIELDS = {"text", "caption", "question", "title", "description", "payload", "url",
               "start_parameter", "explanation", "name", "short_description", "error_message",
               "telegram_payment_charge_id", "provider_token"}  # fmt: skip


@dataclass
class Call:
    """One request the bot made, and the result it was answered with (None for errors)."""

    method: str
    params: dict
    at: float = field(default_factory=time.monotonic)
    result: object = None


@dataclass
class Failure:
    """An injected error for a method: `times` answers (None = always)."""

    status: int
    description: str
    times: int | None = None
    retry_after: int | None = None
    chat_id: int | None = None  # only calls to this chat fail (None: every call)


@dataclass
class Stall:
    """An injected slow answer: the call succeeds, its answer comes `seconds` late."""

    seconds: float
    times: int | None = None


class BotApiSandbox(PaymentsSide):
    """A fake Bot API server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        bot_id: int = 777000111,
        username: str = "salon_test_bot",
        delay: float = 0.0,
        rate_limit_share: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "Salon", "username": username,
                    "can_join_groups": True, "can_read_all_group_messages": True,
                    "supports_inline_queries": False}  # fmt: skip
        self.delay = delay
        self.rate_limit_share = rate_limit_share
        self.calls: list[Call] = []
        self.failures: dict[str, Failure] = {}
        self.stalls: dict[str, Stall] = {}
        self.admins: dict[int, list[int]] = {}
        # getChatMember: statuses by chat and user; anyone else has `member_status`.
        self.members: dict[int, dict[int, str]] = {}
        self.member_status = "member"
        self.handlers: dict[str, Callable[[dict], object]] = {}
        # Payments: the bot's answers to pre-checkout queries (by query id), and the Stars
        # charges made (charge id -> {"user_id", "amount", "refunded"}).
        self.pre_checkout_answers: dict[str, dict] = {}
        self.star_charges: dict[str, dict] = {}
        self._charge_ids = itertools.count(1)
        self._random = random.Random(seed)
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self.last_update_id = 0
        self._offset = 0  # the highest getUpdates offset seen: updates below it were received
        self._message_ids = itertools.count(1000)
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> BotApiSandbox:
        """Listen on a free loopback port in a background thread."""
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                sandbox._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release waiting getUpdates calls."""
        with self._cond:
            self._cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> BotApiSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The value for `[telegram] api_base_url`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # -- driving it --------------------------------------------------------------------------
    def push_update(self, update: dict) -> int:
        """Queue an update (its update_id is assigned here) for the next getUpdates."""
        with self._cond:
            update = {**update, "update_id": next(self._update_ids)}
            self._updates.append(update)
            self.last_update_id = update["update_id"]
            self._cond.notify_all()
        return update["update_id"]

    def received(self, update_id: int) -> bool:
        """Whether the bot confirmed receiving the update (a later getUpdates offset passed it)."""
        with self._cond:
            return self._offset > update_id

    def fail(self, method: str, status: int = 400, description: str = "Bad Request: injected",
             *, times: int | None = None, retry_after: int | None = None,
             chat_id: int | None = None) -> None:  # fmt: skip
        """Answer `method` with an error (optionally only `times` times, for one chat)."""
        self.failures[method] = Failure(status, description, times, retry_after, chat_id)

    def stall(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Carry out `method` but answer `seconds` late (the client times out: outcome unknown)."""
        self.stalls[method] = Stall(seconds, times)

    def take_stall(self, method: str) -> float:
        """Seconds this call of `method` must be answered late (0: on time)."""
        with self._cond:
            stall = self.stalls.get(method)
            if stall is None or stall.times == 0:
                return 0.0
            if stall.times is not None:
                stall.times -= 1
            return stall.seconds

    def calls_to(self, method: str, **match) -> list[Call]:
        """Recorded calls of `method` whose parameters include `match`."""
        with self._cond:
            calls = list(self.calls)
        return [
            c for c in calls
            if c.method == method and all(c.params.get(k) == v for k, v in match.items())
        ]  # fmt: skip

    def wait_for(self, method: str, count: int = 1, timeout: float = 120.0, **match) -> list[Call]:
        """Wait until at least `count` matching calls were made; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method, **match)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise TimeoutError(f"{method} {match}: {len(self.calls_to(method, **match))}/{count}")

    # -- the server side ---------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = request.path.split("?")[0].strip("/").split("/")
        method = parts[-1] if parts else ""
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        params = _parse(request.headers.get("Content-Type", ""), body)
        late = self.take_stall(method)
        status, payload = self.answer(method, params)
        if late:
            time.sleep(late)
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        """Record a call and build its HTTP status and JSON answer (also used without HTTP)."""
        call = Call(method, params)
        with self._cond:
            self.calls.append(call)
        status, payload = self._answer(method, params)
        call.result = payload.get("result")
        return status, payload

    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        failure = self.failures.get(method)
        if (
            failure
            and failure.chat_id is not None
            and str(params.get("chat_id")) != str(failure.chat_id)
        ):
            failure = None
        if failure and failure.times != 0:
            with self._cond:
                if failure.times is not None:
                    failure.times -= 1
            error = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                error["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, error
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if self.delay:
            time.sleep(self.delay)
        if method in SEND_METHODS and self.rate_limit_share:
            with self._cond:
                limited = self._random.random() < self.rate_limit_share
            if limited:
                return 429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}  # fmt: skip
        if method in self.handlers:
            return 200, {"ok": True, "result": self.handlers[method](params)}
        if method == "refundStarPayment":
            return self._refund(params)
        if method == "answerPreCheckoutQuery":
            self._record_pre_checkout_answer(params)
        return 200, {"ok": True, "result": self._result(method, params)}

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._offset = max(self._offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates[:100])

    def _result(self, method: str, params: dict) -> object:
        if method == "getMe":
            return self.bot
        if method == "getChatAdministrators":
            admins = self.admins.get(int(params.get("chat_id", 0)), [])
            return [
                {"status": "administrator", "user": {"id": a, "is_bot": False, "first_name": "A"},
                 "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                 "can_delete_messages": True, "can_manage_video_chats": True,
                 "can_restrict_members": True, "can_promote_members": False,
                 "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                 "can_edit_stories": False, "can_delete_stories": False}
                for a in admins
            ]  # fmt: skip
        if method == "getChatMember":
            return self._chat_member(int(params.get("chat_id", 0)), int(params.get("user_id", 0)))
        if method == "sendMediaGroup":  # an array of messages, one per item
            media = params.get("media") or []
            return [self._message("sendPhoto", params) for _ in media]
        if method in SEND_METHODS or method.startswith("edit"):
            return self._message(method, params)
        return True

    def _chat_member(self, chat_id: int, user_id: int) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": "M"}
        if user_id in self.admins.get(chat_id, []):
            return self._result("getChatAdministrators", {"chat_id": chat_id})[
                self.admins[chat_id].index(user_id)
            ]
        status = self.members.get(chat_id, {}).get(user_id, self.member_status)
        if status == "restricted":  # a restricted non-member: the form a removed member takes
            return {"status": "restricted", "user": user, "is_member": False, "until_date": 0,
                    **{p: False for p in _RESTRICTED_PERMISSIONS}}  # fmt: skip
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    def _message(self, method: str, params: dict) -> dict:
        chat_id = int(params.get("chat_id") or 0)
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id > 0:
            chat["first_name"] = "Member"
        else:
            chat["title"] = "Group"
        message = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": chat,
            "from": {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")},
        }
        if "text" in params:
            message["text"] = str(params["text"])
        if method == "sendDocument":
            message["document"] = {"file_id": "doc", "file_unique_id": "doc"}
        if method == "sendPhoto":
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        if method == "sendPoll":
            options = params.get("options") or []
            message["poll"] = {
                "id": f"poll{message['message_id']}",
                "question": str(params.get("question", "")),
                "options": [
                    {"text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0,
                     "persistent_id": str(index)}  # required since Bot API 9.6
                    for index, o in enumerate(options)
                ],
                "total_voter_count": 0, "is_closed": False,
                "is_anonymous": bool(params.get("is_anonymous", True)),
                "type": "regular", "allows_multiple_answers": False,
                "allows_revoting": True, "members_only": False,
            }  # fmt: skip
        if method == "sendInvoice":
            message["invoice"] = {
                "title": params.get("title", ""), "description": params.get("description", ""),
                "start_parameter": "", "currency": params.get("currency", "XTR"),
                "total_amount": invoice_total(params),
            }  # fmt: skip
        return message


_RESTRICTED_PERMISSIONS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
    "can_invite_users", "can_pin_messages", "can_manage_topics",
)  # fmt: skip


def _parse(content_type: str, body: bytes) -> dict:
    """Request parameters as Python values (JSON-encoded fields decoded)."""
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        raw = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                raw[name] = {"filename": part.get_filename(), "data": part.get_payload(decode=True)}
            else:
                raw[name] = part.get_payload(decode=True).decode("utf-8")
    else:
        raw = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {k: v if k in TEXT_FIELDS else _decode(v) for k, v in raw.items()}


def _decode(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
