"""Typed configuration: a TOML file validated into frozen pydantic models.

Nothing here reads a file at import time; `load_config` is called from `main()` and tests
build `Config` objects directly.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.seats.money import CURRENCIES, STARS

TOKEN_ENV = "SALONBOT_TOKEN"
PROVIDER_TOKEN_ENV = "SALONBOT_PAYMENTS_PROVIDER_TOKEN"
API_TOKEN_ENV = "SALONBOT_API_TOKEN"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
LANGUAGES = ("zh", "en")


class ConfigError(Exception):
    """A configuration problem, described in one line that names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class WebhookConfig(_Section):
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    url: str = ""
    path: str = "telegram"
    secret: str = Field("", repr=False)


class TelegramConfig(_Section):
    token: str = Field("", repr=False)
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = WebhookConfig()

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        if value and not _TOKEN_RE.match(value):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramConfig:
        if self.mode == "webhook":
            if not self.webhook.url:
                raise ValueError("webhook.url is required in webhook mode")
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook.secret):
                raise ValueError(
                    "webhook.secret is required in webhook mode: "
                    "16-256 characters of A-Z a-z 0-9 _ -"
                )
        return self

    @property
    def bot_base_url(self) -> str:
        """The Bot API base URL that the token is appended to (always ends in ``/bot``)."""
        base = self.api_base_url.rstrip("/")
        return base if base.endswith("/bot") else base + "/bot"

    @property
    def file_base_url(self) -> str:
        """The matching base URL for file downloads."""
        return self.bot_base_url[: -len("/bot")] + "/file/bot"


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///salonbot.db"
    migrate_on_start: bool = True
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class PointsConfig(_Section):
    """Points a member earns in the community, per thing (0 turns one off); the leaderboard."""

    attended: int = Field(10, ge=0, le=10_000)  # checked in at a salon
    feedback: int = Field(3, ge=0, le=10_000)  # rated a salon
    series: int = Field(20, ge=0, le=10_000)  # attended every salon of a series (a "series:" tag)
    referral: int = Field(15, ge=0, le=10_000)  # a friend brought with /invitefriend attended
    # A monthly leaderboard in the group (only members who opted in are listed).
    leaderboard: bool = False
    leaderboard_size: int = Field(10, ge=1, le=50)


class CommunityConfig(_Section):
    chat_id: int
    title: str = Field(min_length=1, max_length=128)
    timezone: str = "UTC"
    language: Literal["zh", "en"] = "zh"
    organizers: list[int] = []
    points: PointsConfig = PointsConfig()
    # Map links under an address (bot/common/maps.py): auto = Amap in Chinese, else OSM.
    map_provider: Literal["auto", "amap", "baidu", "osm", "google", "none"] = "auto"
    # The organizers' digest of signups, leaves, waitlist moves and payments
    # (bot/salons/digest.py): after each one, hourly, daily (at digest_hour local time), off.
    digest: Literal["each", "hourly", "daily", "off"] = "daily"
    digest_hour: int = Field(9, ge=0, le=23)
    # Salons are for the group's current members; true opens them all to anyone (guests).
    open_to_guests: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    @field_validator("chat_id")
    @classmethod
    def _group_id(cls, value: int) -> int:
        if value >= 0:
            raise ValueError("a group's chat id is negative (e.g. -1001234567890)")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The community's timezone."""
        return ZoneInfo(self.timezone)


class ScheduleConfig(_Section):
    tick_seconds: float = Field(30.0, gt=0, le=3600)
    nightly_cron: str = "0 3 * * *"
    reminder_hours: list[float] = [24.0, 2.0]
    feedback_delay_hours: float = Field(1.0, ge=0)
    waitlist_claim_hours: float = Field(12.0, gt=0)
    # Recurring salons are created (published, announced) this many days ahead.
    series_days: float = Field(28.0, gt=0, le=366)

    @field_validator("nightly_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"not a crontab expression ({error})") from None
        return value


class MessagingConfig(_Section):
    global_rate_per_second: float = Field(25.0, gt=0, le=30)
    per_chat_interval_seconds: float = Field(1.0, ge=0)
    group_messages_per_minute: int = Field(20, ge=1, le=20)
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    max_attempts: int = Field(5, ge=1)

    @field_validator("quiet_hours_start", "quiet_hours_end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a time like 22:00") from None
        return value


class CampaignsConfig(_Section):
    auto_days_before: float = Field(0.0, ge=0)
    holdout_share: float = Field(0.10, ge=0, lt=1)
    frequency_cap: int = Field(2, ge=1)
    frequency_days: float = Field(7.0, gt=0)
    wave_hours: float = Field(24.0, gt=0)
    window_hours: float = Field(72.0, gt=0)
    spread_hours: float = Field(12.0, gt=0)
    overbook: float = Field(1.15, ge=1, le=3)
    min_probability: float = Field(0.0, ge=0, le=1)
    max_invitations: int = Field(0, ge=0)
    activity_days: int = Field(60, ge=1)


class PrivacyConfig(_Section):
    store_text: bool = False
    retention_days: int = Field(90, ge=1)
    raw_event_days: int = Field(365, ge=1)


class ModelsConfig(_Section):
    random_state: int = 42
    min_past_salons: int = Field(3, ge=1)
    stale_after_days: int = Field(3, ge=1)
    model_dir: str = "models"


class StatsConfig(_Section):
    # Processes drawing the /stats charts at once (0: in the bot's process, one at a time).
    chart_workers: int = Field(0, ge=0, le=16)


class LimitsConfig(_Section):
    commands_per_user: int = Field(10, ge=1)
    window_seconds: float = Field(10.0, gt=0)


class PaymentsConfig(_Section):
    # Telegram Stars (currency XTR) need no provider token; other currencies do.
    provider_token: str = Field("", repr=False)
    default_currency: str = "XTR"
    hold_minutes: float = Field(15.0, gt=0, le=24 * 60)
    # Holds one member may take on one salon's seats without paying (a renewal counts).
    max_holds: int = Field(3, ge=1, le=100)
    refund_deadline_hours: float = Field(24.0, ge=0)
    refund_report_after: int = Field(5, ge=1, le=100)

    @field_validator("default_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"{value!r} is not a currency code Telegram accepts (e.g. XTR, CNY)")
        return value

    @model_validator(mode="after")
    def _provider_for_money(self) -> PaymentsConfig:
        if self.default_currency != STARS and not self.provider_token:
            raise ValueError(
                f"default_currency {self.default_currency} needs provider_token "
                "(only Telegram Stars, XTR, work without one)"
            )
        return self


class LeaderConfig(_Section):
    # Several processes on one PostgreSQL database elect the one that runs the scheduler and
    # the dispatcher through this advisory lock (bot/outbox/leader.py). Keys are per database.
    lock_key: int = Field(int.from_bytes(b"salonbot"), ge=-(2**63), le=2**63 - 1)
    # Standbys retry, and the leader checks its lock, this often. A crashed leader is replaced
    # within about this long; a vanished host within about 5 times it (under 60 s at 7).
    interval_seconds: float = Field(3.0, ge=1, le=7)


class ApiConfig(_Section):
    """The read-only recommendation API (`GET /recommend_activities?user_id=`), for a
    community's own website or app; only in webhook mode, off by default."""

    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(8444, ge=1, le=65535)
    # Clients send `Authorization: Bearer <token>`; SALONBOT_API_TOKEN overrides the file.
    token: str = Field("", repr=False)

    @model_validator(mode="after")
    def _token_when_enabled(self) -> ApiConfig:
        if self.enabled and len(self.token) < 16:
            raise ValueError("token: at least 16 characters when the API is enabled")
        return self


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    telegram: TelegramConfig = TelegramConfig()
    database: DatabaseConfig = DatabaseConfig()
    communities: list[CommunityConfig] = []
    schedule: ScheduleConfig = ScheduleConfig()
    messaging: MessagingConfig = MessagingConfig()
    campaigns: CampaignsConfig = CampaignsConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    models: ModelsConfig = ModelsConfig()
    stats: StatsConfig = StatsConfig()
    limits: LimitsConfig = LimitsConfig()
    payments: PaymentsConfig = PaymentsConfig()
    leader: LeaderConfig = LeaderConfig()
    api: ApiConfig = ApiConfig()
    logging: LoggingConfig = LoggingConfig()

    @model_validator(mode="after")
    def _unique_chats(self) -> Config:
        ids = [c.chat_id for c in self.communities]
        if len(ids) != len(set(ids)):
            raise ValueError("communities: the same chat_id is configured twice")
        return self

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in a log line (the log formatter redacts them)."""
        return [self.telegram.token, self.telegram.webhook.secret, self.payments.provider_token,
                self.api.token]  # fmt: skip

    def community(self, chat_id: int) -> CommunityConfig | None:
        """The configured community with this chat id, if any."""
        return next((c for c in self.communities if c.chat_id == chat_id), None)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    # Keys as written; an odd one (from a typo or a stray character) is quoted.
    parts = [p if re.fullmatch(r"\w+", str(p)) else repr(p) for p in first["loc"]]
    key = ".".join(str(part) for part in parts) or "config"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "missing"
    return f"{key}: {message}"


def _secrets(data: dict) -> list[str]:
    """The token and provider token as given, wherever a typo put them: never echoed back."""
    found = []
    for section, key in (("telegram", "token"), ("payments", "provider_token"), ("api", "token")):
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(value, str) and value:
            found += [value, value.partition(":")[2]]  # a bot token's secret half too
    return [secret for secret in found if len(secret) >= 8]


def _redact(message: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "[redacted]")
    return message


def parse_config(data: dict, *, require_token: bool = True, env: dict | None = None) -> Config:
    """Validate a config mapping; the token env var overrides the file."""
    env = os.environ if env is None else env
    for variable, section, key in ((TOKEN_ENV, "telegram", "token"),
                                   (PROVIDER_TOKEN_ENV, "payments", "provider_token"),
                                   (API_TOKEN_ENV, "api", "token")):  # fmt: skip
        # A section that is not a table is left as it is, for validation to report.
        if env.get(variable) and isinstance(data.get(section, {}), dict):
            data = {**data, section: {**data.get(section, {}), key: env[variable]}}
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_redact(_describe(error), _secrets(data))) from None
    if require_token and not config.telegram.token:
        raise ConfigError(f"telegram.token: missing (set it in the file or in {TOKEN_ENV})")
    return config


def load_config(path: str | Path, *, require_token: bool = True) -> Config:
    """Read and validate a TOML config file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(data, require_token=require_token)
