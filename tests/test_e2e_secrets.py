"""End to end: secrets and members' words stay out of logs, error messages and exports."""

from __future__ import annotations

import json
import signal
import time

import pytest

from bot.sandbox.server import BotApiSandbox
from tests.conftest import TOKEN
from tests.e2e import BotProcess, write_config
from tests.test_e2e_run import _free_port, _post
from tests.updates import EN_USER, ZH_USER, callback_query_json, message_json

SECRET_PART = TOKEN.split(":")[1]
PROVIDER_TOKEN = "284685063:TEST:ZjQ5NGE2MzQ1Mzkz"


@pytest.fixture
def sandbox():
    with BotApiSandbox() as api:
        yield api


def test_webhook_at_info_logs_no_update_bodies(tmp_path, sandbox):
    port, secret = _free_port(), "s3cret-webhook-token-4567"
    name, words = "Quixotic-Nomen", "zebra-umbrella-4f9c private words"
    extra = (
        f'\n[telegram.webhook]\nlisten = "127.0.0.1"\nport = {port}\npath = "hook"\n'
        f'url = "https://bot.example.org/hook"\nsecret = "{secret}"\n'
    )
    config = write_config(tmp_path, sandbox, f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", extra)
    text = config.read_text().replace("api_base_url", 'mode = "webhook"\napi_base_url')
    config.write_text(text.replace('level = "DEBUG"', 'level = "INFO"'))
    user = {**EN_USER, "first_name": name}
    bot = BotProcess(config).start()
    try:
        sandbox.wait_for("setWebhook", 1, timeout=180)
        url = f"http://127.0.0.1:{port}/hook"
        deadline, status = time.monotonic() + 30, None
        while status is None and time.monotonic() < deadline:
            try:
                status = _post(url, {"update_id": 1, "message": message_json("/start", user)},
                               secret)  # fmt: skip
            except OSError:
                time.sleep(0.1)
        assert status == 200
        assert _post(url, {"update_id": 2, "message": message_json(words, user)}, secret) == 200
        assert _post(url, {"update_id": 3, "message": message_json(words, user)}, "x" * 20) == 403
        sandbox.wait_for("sendMessage", 1, chat_id=EN_USER["id"])
    finally:
        assert bot.stop() == 0, bot.log()
    log = bot.log()
    assert "INFO" in log and "starting in webhook mode" in log
    assert words not in log and "zebra-umbrella" not in log
    assert name not in log
    assert secret not in log and SECRET_PART.lower() not in log.lower()


def test_token_appears_in_no_log_error_message_or_export_at_debug(tmp_path, sandbox, db_url):
    payments = f'\n[payments]\nprovider_token = "{PROVIDER_TOKEN}"\n'
    bot = BotProcess(write_config(tmp_path, sandbox, db_url, payments)).start()
    try:
        bot.wait_polling(sandbox)
        sandbox.push_update({"message": message_json("/start", ZH_USER)})
        sandbox.wait_for("sendMessage", 1, chat_id=ZH_USER["id"])
        # A Bot API failure whose description even echoes the token, in a handler and again
        # in the error handler's apology: both are logged.
        sandbox.fail("sendMessage", 400, f"Bad Request: no chat for bot{TOKEN}", times=2)
        sandbox.push_update({"message": message_json("/help", ZH_USER)})
        sandbox.wait_for("sendMessage", 3, chat_id=ZH_USER["id"])
        # The export fails once (a handler exception), then is delivered.
        sandbox.fail("sendDocument", 502, "Bad Gateway", times=1)
        sandbox.push_update({"callback_query": callback_query_json("P:see", ZH_USER)})
        sandbox.wait_for("answerCallbackQuery", 1)
        sandbox.push_update({"callback_query": callback_query_json("P:see", ZH_USER)})
        documents = sandbox.wait_for("sendDocument", 2, chat_id=ZH_USER["id"])
        sandbox.wait_for("answerCallbackQuery", 2)
    finally:
        status = bot.stop(signal.SIGTERM)
    log = bot.log()
    assert status == 0, log
    assert "DEBUG" in log and log.count("failed (user 1001") >= 2, log
    assert "could not tell user about the error" in log
    # The description was logged, redacted although PTB lower-cased it ("No chat for bot...").
    assert "No chat for bot[redacted]" in log
    export = documents[-1].params["document"]["data"].decode("utf-8")
    assert json.loads(export)["user"]["id"] == ZH_USER["id"]
    answers = [c.params.get("text", "") for c in sandbox.calls_to("answerCallbackQuery")]
    assert "抱歉，我这边出错了，请再试一次。" in answers
    texts = [str(c.params) for c in sandbox.calls if c.method != "getUpdates"]
    for place in (log, export, *answers, *texts):
        assert SECRET_PART.lower() not in place.lower()
        assert PROVIDER_TOKEN.lower() not in place.lower()
