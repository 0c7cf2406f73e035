"""Settings, read once from ``DISPATCH_*`` environment variables into one typed object.

Nothing else in the code base reads ``os.environ``: the app factory and the CLI call
:func:`Settings.from_env` and pass the result down.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENVIRONMENTS = ("production", "development", "demo", "test")
SECURITY = ("ssl", "starttls", "none")
"""How the mail connections are protected: TLS from the start, STARTTLS, or not at all (loopback only)."""


class ConfigError(RuntimeError):
    """The configuration is missing something the service cannot run without."""


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; see the README's table."""

    env: str = "production"
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    redis_url: str = ""
    queue_prefix: str = ""
    secret_key: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    default_time_zone: str = "Europe/London"
    default_locale: str = "en"
    geocoder_domain: str = ""
    geocoder_scheme: str = "https"
    geocoder_user_agent: str = "field-dispatch"
    geocoder_timeout_s: float = 5.0
    geocoder_country_codes: str = ""
    worker_threads: int = 1
    plan_stale_after_s: int = 60
    map_tile_url: str = ""
    map_attribution: str = ""
    page_size_max: int = 200
    attachments_path: str = ""
    attachment_max_bytes: int = 8 * 1024 * 1024
    attachment_max_pixels: int = 40_000_000
    max_body_bytes: int = 1024 * 1024
    plan_queued_timeout_s: int = 600
    trusted_proxies: int = 0
    rate_limits_enabled: bool = True
    login_limit_per_account: str = "5/minute;20/hour"
    login_limit_per_address: str = "30/minute"
    login_limit_service: str = "10/second"
    refresh_limit_per_address: str = "60/minute"
    login_checks_share: float = 0.2
    booking_window_hours: int = 2
    booking_day_start_hour: int = 8
    booking_day_end_hour: int = 18
    booking_lead_hours: int = 2
    booking_days_ahead: int = 28
    booking_change_hours: int = 24
    field_rules: bool = True
    """Engineers check in only on the visit's day and at one job at a time."""
    company_name: str = "Field service"
    company_phone: str = ""
    ticket_auto_close_hours: int = 72
    complaint_limit_agent_minor: int = 5_000
    """The most compensation an agent may grant on a complaint (integer minor units)."""
    complaint_limit_lead_minor: int = 50_000
    """The most a team lead or dispatcher may grant (admins: no limit)."""
    complaint_repeat_days: int = 90
    """A complaint of the same cause for the same customer or engineer within this many days is a repeat."""
    quality_sample_per_agent: int = 3
    """How many closed tickets per agent and week a quality sample draws by default."""
    phone_region: str = "GB"
    public_url: str = "http://127.0.0.1:5000"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_s: float = 20.0
    mail_from: str = ""
    support_address: str = "support@example.com"
    mail_outbox_path: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"
    imap_username: str = ""
    imap_password: str = ""
    imap_mailboxes: str = "INBOX"
    mail_fetch_every_s: int = 60
    notify_eta_margin_minutes: int = 30
    notification_max_attempts: int = 8
    notification_retry_base_s: int = 30
    webhook_timeout_s: float = 10.0
    webhook_allow_private: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from ``DISPATCH_*`` variables (``DATABASE_URL``/``REDIS_URL`` too)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"DISPATCH_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        # The conventional unprefixed names are honoured too, as platforms set them.
        for name in ("database_url", "redis_url"):
            if name not in values and environ.get(name.upper()):
                values[name] = environ[name.upper()]
        return cls(**values)

    @property
    def email_backend(self) -> str:
        """``smtp`` when a server is set; ``file`` (a folder of .eml files) in demo and development; else ``off``."""
        if self.smtp_host:
            return "smtp"
        return "file" if self.env in ("demo", "development") else "off"

    @property
    def mail_outbox_folder(self) -> Path:
        """Where the ``file`` email backend writes outgoing mail (``mail-outbox`` in the instance folder)."""
        if self.mail_outbox_path:
            return Path(self.mail_outbox_path).resolve()
        return self.instance_path / "mail-outbox"

    @property
    def attachments_folder(self) -> Path:
        """Where photos and signatures are stored (``attachments`` in the instance folder by default)."""
        if self.attachments_path:
            return Path(self.attachments_path).resolve()
        return self.instance_path / "attachments"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """Return a copy with some fields replaced (tests and the CLI use this)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        values = dict(overrides)
        if "instance_path" in values:
            values["instance_path"] = Path(values["instance_path"])
        return replace(self, **values)

    def finalized(self) -> Settings:
        """Check the settings and fill in derived defaults; refuse to run production unsafely."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"DISPATCH_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        try:
            ZoneInfo(self.default_time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"unknown time zone {self.default_time_zone!r}") from exc
        for name in ("max_body_bytes", "plan_queued_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"DISPATCH_{name.upper()} must be a positive number")
        for name in (
            "login_limit_per_account",
            "login_limit_per_address",
            "login_limit_service",
            "refresh_limit_per_address",
        ):
            _check_rate(name, getattr(self, name))
        if not 0 < self.login_checks_share <= 1:
            raise ConfigError("DISPATCH_LOGIN_CHECKS_SHARE must be more than 0 and at most 1")
        if self.trusted_proxies < 0:
            raise ConfigError(
                "DISPATCH_TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front"
            )
        from dispatch import i18n

        locale = i18n.normalize(self.default_locale)
        if locale is None:
            raise ConfigError(
                f"DISPATCH_DEFAULT_LOCALE must be one of {', '.join(i18n.available_locales())}, "
                f"not {self.default_locale!r}"
            )
        for name, value in (("smtp_security", self.smtp_security), ("imap_security", self.imap_security)):
            if value not in SECURITY:
                raise ConfigError(
                    f"DISPATCH_{name.upper()} must be one of {', '.join(SECURITY)}, not {value!r}"
                )
        result = replace(self, default_locale=locale)
        if not result.database_url:
            result = replace(result, database_url=f"sqlite:///{result.instance_path / 'dispatch.db'}")
        if not result.secret_key:
            if result.env == "production":
                raise ConfigError(
                    "DISPATCH_SECRET_KEY is not set: production refuses to start without one "
                    "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            result = replace(result, secret_key=_local_secret(result.instance_path))
        elif len(result.secret_key) < 32:
            raise ConfigError("DISPATCH_SECRET_KEY must be at least 32 characters long")
        return result


def _check_rate(name: str, value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(
            f"DISPATCH_{name.upper()} must be rates like '5/minute;20/hour', not {value!r}"
        ) from exc


def _coerce(name: str, annotation: Any, raw: str) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if kind == "bool":
        if raw.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"DISPATCH_{name.upper()} must be true or false, not {raw!r}")
        return raw.strip().lower() in ("1", "true", "yes", "on")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"DISPATCH_{name.upper()} must be a number, not {raw!r}") from exc
    if kind == "Path":
        return Path(raw).resolve()
    return raw


def _local_secret(instance_path: Path) -> str:
    """Return a key generated once for this instance folder (never used in production)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
