"""Rate limits on logging in (Flask-Limiter): per account, per client address, and for the service.

The counters live in Redis when ``DISPATCH_REDIS_URL`` is set (shared by every process; if Redis
goes away the limits go on in each process's memory) and in memory otherwise. A limited request is
refused before its view runs, so a login refused with 429 costs no password hash.

- per account (the email sent): failed logins only, ``DISPATCH_LOGIN_LIMIT_PER_ACCOUNT``;
- per client address: every login, ``DISPATCH_LOGIN_LIMIT_PER_ADDRESS``; refreshes,
  ``DISPATCH_REFRESH_LIMIT_PER_ADDRESS``;
- for the whole service (each process without Redis): ``DISPATCH_LOGIN_LIMIT_SERVICE``, which
  caps the CPU password hashing may take, however many addresses a flood comes from.

The address is ``request.remote_addr``: behind proxies, set ``DISPATCH_TRUSTED_PROXIES`` so that it
is read from X-Forwarded-For (:func:`api.app.create_app` applies werkzeug's ProxyFix).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

from api.errors import payload
from dispatch.config import Settings
from dispatch.i18n import ngettext

LOGIN_ENDPOINTS = ("auth.Login", "customer.login")
REFRESH_ENDPOINTS = ("auth.Refresh",)
HTML_ENDPOINTS = ("customer.login",)
REFUSALS = ("account", "address", "refresh", "service")


def refusal(kind: str, seconds: int) -> str:
    """The refusal of kind ``kind`` (one of ``REFUSALS``), in the reader's language, with the wait."""
    if kind == "account":
        return ngettext(
            "Too many failed logins for this account. Try again in %(num)s second.",
            "Too many failed logins for this account. Try again in %(num)s seconds.",
            seconds,
        )
    if kind == "refresh":
        return ngettext(
            "Too many token refreshes from your address. Try again in %(num)s second.",
            "Too many token refreshes from your address. Try again in %(num)s seconds.",
            seconds,
        )
    if kind == "service":
        return ngettext(
            "The service is taking too many logins at this moment. Try again in %(num)s second.",
            "The service is taking too many logins at this moment. Try again in %(num)s seconds.",
            seconds,
        )
    return ngettext(
        "Too many logins from your address. Try again in %(num)s second.",
        "Too many logins from your address. Try again in %(num)s seconds.",
        seconds,
    )


class Busy(TooManyRequests):
    """Another password check is running in this process, or the pause after it is not over."""

    def __init__(self, seconds: float = 1.0) -> None:
        super().__init__(description="service")
        self.seconds = seconds
        """When to try again."""


class LoginGate:
    """One login of this process checks a password at a time, for ``share`` of its time at most
    (``DISPATCH_LOGIN_CHECKS_SHARE``); the others are refused at once.

    After a check that cost ``c`` seconds the next may start ``c / share`` seconds after it began,
    ``c`` being the longer of its wall time and the CPU the process used meanwhile: argon2 hashes
    on four threads, so on an idle machine 0.1 s of wall time can be 0.4 s of CPU, while on a busy
    one the hash waits for a core and its wall time is the longer. Logins waiting for their turn
    would hold every server thread, and checks back to back would take every core.

    The gate sits inside Flask-Limiter's limits, so a flood from one address or at one account is
    refused by those first (asking the gate first makes a refusal about three times cheaper, but
    measured with ``python -m api.bench_login`` the flood's clients then send faster and the
    engineers' reads lose more).
    """

    def __init__(self, share: float) -> None:
        self.share = share
        self.lock = threading.Lock()
        self.free_at = 0.0

    def refusal(self) -> Busy:
        """The refusal of a login that finds the gate busy (Retry-After: when the pause ends)."""
        return Busy(self.free_at - time.monotonic())

    def guard(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """``view`` run under the gate (POSTs only); a login finding it busy is :class:`Busy`."""

        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            if time.monotonic() < self.free_at or not self.lock.acquire(blocking=False):
                raise self.refusal()
            started, cpu = time.monotonic(), time.process_time()
            try:
                return view(*args, **kwargs)
            finally:
                cost = max(time.monotonic() - started, time.process_time() - cpu)
                self.free_at = started + cost / self.share
                self.lock.release()

        return guarded


def account_key() -> str:
    """The account a login is for: the email in the JSON body or the form, as the service reads it."""
    data: Any = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if hasattr(data, "get") else None
    if not isinstance(email, str) or not email.strip():
        return "(no email)"
    return email.strip().lower()[:254]


def _everyone() -> str:
    return "service"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Bind Flask-Limiter and put the limits on the login and refresh views already registered."""
    app.config.update(
        RATELIMIT_ENABLED=settings.rate_limits_enabled,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1}
        if settings.redis_url
        else {},
        RATELIMIT_KEY_PREFIX=f"{settings.queue_prefix}limits",
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_HEADERS_ENABLED=False,  # Retry-After is set on the 429 alone, below
    )
    gate = LoginGate(settings.login_checks_share)
    gated = settings.rate_limits_enabled and settings.login_checks_share < 1
    limiter = Limiter(key_func=get_remote_address, app=app)
    app.extensions["dispatch.limiter"] = limiter
    login: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        limiter.shared_limit(
            settings.login_limit_service, scope="login-service", key_func=_everyone, error_message="service"
        ),
        limiter.limit(settings.login_limit_per_address, methods=["POST"], error_message="address"),
        limiter.limit(
            settings.login_limit_per_account,
            key_func=account_key,
            methods=["POST"],
            deduct_when=_failed,
            error_message="account",
        ),
    ]
    refresh = [limiter.limit(settings.refresh_limit_per_address, error_message="refresh")]
    for endpoints, limits in ((LOGIN_ENDPOINTS, login), (REFRESH_ENDPOINTS, refresh)):
        for endpoint in endpoints:
            view = app.view_functions[endpoint]
            if endpoints is LOGIN_ENDPOINTS and gated:
                view = gate.guard(view)
            for limit in limits:
                view = limit(view)
            app.view_functions[endpoint] = view
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(Busy, _too_many)
    return limiter


def _too_many(error: TooManyRequests) -> Any:
    limiter: Limiter = current_app.extensions["dispatch.limiter"]
    breached = limiter.current_limit if isinstance(error, RateLimitExceeded) else None
    if isinstance(error, Busy):
        seconds = max(1, math.ceil(error.seconds))
    else:
        reset_at = breached.reset_at if breached is not None else time.time() + 1
        seconds = max(1, math.ceil(reset_at - time.time()))
    message = refusal(str(error.description), seconds)
    headers = {"Retry-After": str(seconds)}
    if request.endpoint in HTML_ENDPOINTS:
        page = render_template(
            "customer/login.html",
            next=request.values.get("next", ""),
            error=message,
            email=request.form.get("email", ""),
        )
        return page, 429, headers
    return payload(429, message), 429, headers
