"""Config validation: a bad config names its key and stops before anything connects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.common.config import ConfigError, LeaderConfig, load_config, parse_config
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_is_valid_apart_from_the_token():
    config = load_config(ROOT / "config.example.toml", require_token=False)
    assert config.database.url == "sqlite+aiosqlite:///salonbot.db"
    assert config.communities[0].zone.key == "Asia/Shanghai"
    assert config.messaging.global_rate_per_second == 25
    assert config.leader == LeaderConfig()  # the file states the defaults
    assert config.leader.lock_key == int.from_bytes(b"salonbot")


def test_example_config_needs_a_token():
    with pytest.raises(ConfigError, match=r"^telegram\.token: missing"):
        parse_config({}, env={})


def test_token_from_environment_overrides_the_file():
    config = parse_config({"telegram": {"token": "1:file"}}, env={"SALONBOT_TOKEN": TOKEN})
    assert config.telegram.token == TOKEN


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"telegram": {"token": TOKEN, "tokn": "x"}}, r"telegram\.tokn: unknown key"),
        ({"telegram": {"token": TOKEN}, "colour": 1}, r"colour: unknown key"),
        ({"telegram": {"token": TOKEN}, "schedule": {"tick_seconds": "fast"}},
         r"schedule\.tick_seconds"),
        ({"telegram": {"token": TOKEN}, "privacy": {"store_text": "yes"}}, r"privacy\.store_text"),
        ({"telegram": {"token": TOKEN},
          "communities": [{"chat_id": -1, "title": "x", "timezone": "Mars/Base"}]},
         r"communities\.0\.timezone: unknown IANA timezone"),
        ({"telegram": {"token": TOKEN}, "communities": [{"chat_id": 5, "title": "x"}]},
         r"communities\.0\.chat_id"),
        ({"telegram": {"token": TOKEN, "mode": "webhook"}}, r"telegram: webhook\.url"),
        ({"telegram": {"token": TOKEN, "mode": "webhook",
                       "webhook": {"url": "https://x", "secret": "short"}}},
         r"telegram: webhook\.secret"),
        ({"telegram": {"token": "not a token"}}, r"telegram\.token: does not look like"),
        ({"telegram": {"token": TOKEN}, "database": {"url": "mysql://x"}}, r"database\.url"),
        ({"telegram": {"token": TOKEN}, "messaging": {"quiet_hours_start": "late"}},
         r"messaging\.quiet_hours_start"),
        ({"telegram": {"token": TOKEN}, "leader": {"interval_seconds": 0.5}},
         r"leader\.interval_seconds: Input should be greater than or equal to 1"),
        ({"telegram": {"token": TOKEN}, "leader": {"interval_seconds": 60}},
         r"leader\.interval_seconds: Input should be less than or equal to 7"),
        ({"telegram": {"token": TOKEN}, "leader": {"lock_key": 2**63}}, r"leader\.lock_key"),
        ({"telegram": {"token": TOKEN}, "leader": {"lock_key": "salonbot"}},
         r"leader\.lock_key"),
        ({"telegram": {"token": TOKEN}, "leader": {"key": 1}}, r"leader\.key: unknown key"),
        ({"telegram": {"token": TOKEN}, "payments": {"hold_minutes": 0}},
         r"payments\.hold_minutes"),
        ({"telegram": {"token": TOKEN}, "payments": {"hold_minutes": 5000}},
         r"payments\.hold_minutes"),
        ({"telegram": {"token": TOKEN}, "payments": {"refund_deadline_hours": -1}},
         r"payments\.refund_deadline_hours"),
        ({"telegram": {"token": TOKEN}, "payments": {"refund_report_after": 0}},
         r"payments\.refund_report_after"),
        ({"telegram": {"token": TOKEN}, "payments": {"default_currency": "DOGE"}},
         r"payments\.default_currency: 'DOGE' is not a currency"),
        ({"telegram": {"token": TOKEN}, "payments": {"default_currency": "CNY"}},
         r"payments: default_currency CNY needs provider_token"),
    ],
)  # fmt: skip
def test_bad_config_names_the_key(data, key):
    with pytest.raises(ConfigError, match=key):
        parse_config(data, env={})


def test_api_base_url_is_normalised():
    config = parse_config(
        {"telegram": {"token": TOKEN, "api_base_url": "http://127.0.0.1:8081/"}}, env={}
    )
    assert config.telegram.bot_base_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.file_base_url == "http://127.0.0.1:8081/file/bot"


BAD_FILES = [
    ('[telegram]\ntoken = "{t}"\n[database]\nurl = "sqlite+aiosqlite:///{db}"\nport = 3\n',
     "database.port: unknown key"),
    ('[telegram]\ntoken = "{t}"\n[database]\nurl = "sqlite+aiosqlite:///{db}"\n'
     "migrate_on_start = 1\n", "database.migrate_on_start"),
    ('[telegram]\ntoken = "{t}"\n[database\n', "not valid TOML"),
]  # fmt: skip
MISSING_TOKEN = ('[database]\nurl = "sqlite+aiosqlite:///{db}"\n', "telegram.token: missing")


@pytest.mark.parametrize(
    ("verb", "body", "key"),
    [("run", *bad) for bad in [*BAD_FILES, MISSING_TOKEN]] + [("migrate", *b) for b in BAD_FILES],
)
def test_cli_exits_2_with_the_key_and_creates_nothing(tmp_path, capsys, monkeypatch, verb, body,
                                                      key):  # fmt: skip
    monkeypatch.delenv("SALONBOT_TOKEN", raising=False)
    database = tmp_path / "never.db"
    path = tmp_path / "config.toml"
    path.write_text(body.format(t=TOKEN, db=database), encoding="utf-8")
    assert main([verb, "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert key in err
    assert len(err.strip().splitlines()) == 1
    assert not database.exists()


def test_missing_config_file_exits_2(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_payment_provider_token_from_file_or_environment_is_never_shown():
    data = {"telegram": {"token": TOKEN}, "payments": {"provider_token": "1:TEST:file"}}
    assert parse_config(data, env={}).payments.provider_token == "1:TEST:file"
    env = {"SALONBOT_PAYMENTS_PROVIDER_TOKEN": "2:TEST:env"}
    config = parse_config(data, env=env)
    assert config.payments.provider_token == "2:TEST:env"
    assert "2:TEST:env" not in repr(config) and TOKEN not in repr(config)
    assert set(config.secrets) >= {TOKEN, "2:TEST:env"}
    assert parse_config({"telegram": {"token": TOKEN}}, env={}).payments.provider_token == ""


@pytest.mark.parametrize("env", [{}, {"SALONBOT_TOKEN": TOKEN}])
def test_a_token_pasted_under_the_wrong_key_is_not_echoed_in_the_error(env):
    provider = "284685063:TEST:NjYxYzIwZGRhZjQw"
    data = {
        "telegram": {"token": TOKEN},
        "payments": {"provider_token": provider},
        "messaging": {"quiet_hours_start": TOKEN},
    }
    with pytest.raises(ConfigError) as raised:
        parse_config(data, env=env)
    message = str(raised.value)
    assert message == "messaging.quiet_hours_start: '[redacted]' is not a time like 22:00"
    data["messaging"] = {"quiet_hours_end": provider}
    with pytest.raises(ConfigError, match=r"^messaging\.quiet_hours_end: '\[redacted\]'"):
        parse_config(data, env=env)


def test_payment_defaults_and_a_provider_currency():
    payments = parse_config({"telegram": {"token": TOKEN}}, env={}).payments
    assert (payments.default_currency, payments.hold_minutes) == ("XTR", 15)
    assert (payments.refund_deadline_hours, payments.refund_report_after) == (24, 5)
    data = {"telegram": {"token": TOKEN},
            "payments": {"default_currency": "CNY", "hold_minutes": 5}}  # fmt: skip
    # The provider token may come from the environment only.
    config = parse_config(data, env={"SALONBOT_PAYMENTS_PROVIDER_TOKEN": "3:TEST:x"})
    assert (config.payments.default_currency, config.payments.hold_minutes) == ("CNY", 5)
