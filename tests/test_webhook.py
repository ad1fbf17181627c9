"""The webhook server: big bodies refused unread, the secret checked, no body in the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

from telegram import Bot

from bot.webhook import MAX_BODY, WebhookApp, WebhookServer
from tests.conftest import TOKEN
from tests.updates import EN_USER, message_json

SECRET = "s3cret-webhook-token-0123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _raw(port: int, head: str, body: bytes = b"", wait: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(200), wait)
    finally:
        writer.close()


def _head(length: int, secret: str = SECRET) -> str:
    return (
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )


async def test_webhook_refuses_big_bodies_unread_and_checks_the_secret(caplog):
    queue: asyncio.Queue = asyncio.Queue()
    port = _free_port()
    server = WebhookServer("127.0.0.1", port, WebhookApp("/hook", Bot(TOKEN), queue, SECRET),
                           None)  # fmt: skip
    await server.serve_forever()
    try:
        # 100 MB announced, nothing sent: the answer comes at once, from the headers alone.
        answer = await _raw(port, _head(100 * 1024 * 1024), wait=3.0)
        assert answer.startswith(b"HTTP/1.1 400")
        update = json.dumps({"update_id": 1, "message": message_json("/start", EN_USER)}).encode()
        assert (await _raw(port, _head(len(update), "wrong"), update)).startswith(b"HTTP/1.1 403")
        assert queue.empty()
        with caplog.at_level(logging.DEBUG):
            bad = b'{"update_id": 2, "message": "member secret words' + b" " * 100
            assert (await _raw(port, _head(len(bad)), bad)).startswith(b"HTTP/1.1 400")
            ok = await _raw(port, _head(len(update)), update)
        assert ok.startswith(b"HTTP/1.1 200")
        assert (await queue.get()).update_id == 1
        assert "member secret words" not in caplog.text and "/start" not in caplog.text
        assert MAX_BODY == 1024 * 1024
    finally:
        await server.shutdown()
