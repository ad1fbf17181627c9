"""End to end: the real `salonbot run` process against the local fake Bot API server."""

from __future__ import annotations

import signal

import pytest

from bot.sandbox import BotApiSandbox
from tests.conftest import TOKEN
from tests.e2e import BotProcess, write_config
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
