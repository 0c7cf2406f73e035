"""The start page and the health check."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, render_template
from sqlalchemy import text

from api import database
from api.worker import jobs
from dispatch.tasks.queue import QueueUnavailable

HEALTH_CACHE_S = 1.0
"""A health answer is reused for this long: monitoring and load balancers may ask thousands of
times a second, and each dependency is asked at most once a second per process."""


def init_app(app: Flask) -> None:
    """Register the start page and ``/healthz``."""

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    health = Health()

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, Any], int]:
        return health.answer()


class Health:
    """Whether the database and the job queue answer, asked at most once per :data:`HEALTH_CACHE_S`.

    While one request asks, the others get the last answer instead of queueing behind it (so a
    dependency that hangs holds up one thread, not all of them).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answer: tuple[dict[str, Any], int] | None = None
        self._at = 0.0

    def answer(self) -> tuple[dict[str, Any], int]:
        """``{"status", "database", "queue"}`` and 200, or 503 when a dependency is down."""
        last = self._answer
        if last is not None and time.monotonic() - self._at < HEALTH_CACHE_S:
            return last
        if not self._lock.acquire(blocking=last is None):
            assert last is not None
            return last
        try:
            checks = {"database": _check(_ping_database), "queue": _check(jobs().ping)}
            ok = all(value == "ok" for value in checks.values())
            self._answer = {"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503
            self._at = time.monotonic()
            return self._answer
        finally:
            self._lock.release()


def _ping_database() -> None:
    with database.db().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _check(ping: Any) -> str:
    try:
        ping()
    except QueueUnavailable as exc:  # the cause's name only: this page is public
        return f"unavailable: {(exc.errors or {}).get('queue', ['error'])[0]}"
    except Exception as exc:  # report, do not crash: this is what monitoring reads
        return f"unavailable: {type(exc).__name__}"
    return "ok"
