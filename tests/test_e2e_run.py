"""End to end: the real `salonbot run` process against the local fake Bot API server."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from bot.sandbox.server import BotApiSandbox
from tests.conftest import TOKEN
from tests.e2e import STARTUP_SECONDS, BotProcess, write_config
from tests.updates import EN_USER, ZH_USER, message_json


@pytest.fixture
def sandbox():
    with BotApiSandbox() as api:
        yield api


def test_run_answers_start_and_help_in_both_languages(tmp_path, sandbox, db_url):
    sandbox.fail("setMyCommands", 400, "Bad Request: commands rejected")
    bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
    try:
        bot.wait_polling(sandbox)
        sandbox.push_update({"message": message_json("/start", ZH_USER)})
        sandbox.push_update({"message": message_json("/start", EN_USER)})
        sandbox.push_update({"message": message_json("/help", ZH_USER)})
        zh = sandbox.wait_for("sendMessage", 2, chat_id=ZH_USER["id"])
        en = sandbox.wait_for("sendMessage", 1, chat_id=EN_USER["id"])
        assert zh[0].params["text"].startswith("你好，小明！")
        assert zh[1].params["text"].startswith("我能做什么：")
        assert en[0].params["text"].startswith("Hello, Alice!")
        assert bot.alive, "the bot must keep running although setMyCommands failed"
        assert sandbox.calls_to("setMyCommands")
    finally:
        status = bot.stop(signal.SIGTERM)
    log = bot.log()
    assert status == 0, log
    assert "setMyCommands failed" in log
    assert "DEBUG" in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log


def test_run_against_an_unreachable_server_does_not_leak_the_token(tmp_path, db_url):
    with BotApiSandbox() as api:
        config = write_config(tmp_path, api, db_url)
    bot = BotProcess(config).start()  # the server is gone: getMe fails
    status = bot.process.wait(60)
    assert status == 1
    assert "cannot reach the Bot API server" in bot.log()
    assert TOKEN.split(":")[1] not in bot.log()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict, secret: str) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_webhook_mode_migrates_a_fresh_database_and_checks_the_secret(tmp_path, sandbox):
    port, secret = _free_port(), "s3cret-webhook-token-0123"
    database = tmp_path / "fresh.db"
    extra = (
        f'\n[telegram.webhook]\nlisten = "127.0.0.1"\nport = {port}\npath = "hook"\n'
        f'url = "https://bot.example.org/hook"\nsecret = "{secret}"\n'
    )
    config = write_config(tmp_path, sandbox, f"sqlite+aiosqlite:///{database}", extra)
    config.write_text(config.read_text().replace("api_base_url", 'mode = "webhook"\napi_base_url'))
    bot = BotProcess(config).start()
    try:
        [hook] = sandbox.wait_for("setWebhook", 1, timeout=STARTUP_SECONDS)
        assert hook.params["url"] == "https://bot.example.org/hook"
        assert hook.params["secret_token"] == secret
        url = f"http://127.0.0.1:{port}/hook"
        deadline = time.monotonic() + 30
        update = {"update_id": 1, "message": message_json("/start", EN_USER)}
        status = None
        while time.monotonic() < deadline:
            try:
                status = _post(url, update, "wrong-secret-wrong-secret")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 403
        assert _post(url, {**update, "update_id": 2}, secret) == 200
        [reply] = sandbox.wait_for("sendMessage", 1, chat_id=EN_USER["id"])
        assert reply.params["text"].startswith("Hello, Alice!")
        assert len(sandbox.calls_to("sendMessage")) == 1  # the forged update was not handled
    finally:
        assert bot.stop() == 0, bot.log()
    assert database.exists()
    assert TOKEN.split(":")[1] not in bot.log()
