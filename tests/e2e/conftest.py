"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import missing_service, repo_root

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class _Gate:
    """WSGI wrapper that counts requests in flight and, once closed, turns new ones away.

    A page a test leaves open keeps syncing over its kept-alive connection after the server stops
    accepting; the database must not be wiped while one of those requests is still writing.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.closed = False
        self.in_flight = 0
        self.idle = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.idle:
            if self.closed:
                start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain"), ("Connection", "close")]
                )
                return [b"test server stopping"]
            self.in_flight += 1
        try:
            # Read the whole answer here so a streamed body cannot outlive the count.
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.idle:
                self.in_flight -= 1
                self.idle.notify_all()

    def close(self, timeout_s: float = 30.0) -> None:
        with self.idle:
            self.closed = True
            self.idle.wait_for(lambda: self.in_flight == 0, timeout=timeout_s)


@pytest.fixture
def live_server(app: Any, clean_db: Any) -> Iterator[str]:
    """Serve the app on a free loopback port for the length of a test."""
    gate = _Gate(app)
    server = make_server("127.0.0.1", 0, gate, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    gate.close()
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (Playwright's own browser download cannot work here)."""
    if not shutil.which(CHROMIUM):
        missing_service("Chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go, for a person to look at."""
    path = repo_root() / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def block_outside(context: Any, *allowed: str) -> list[str]:
    """Abort every request not to one of the ``allowed`` URL prefixes; returns the list of those aborted."""
    outside: list[str] = []

    def only_allowed(route: Any) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_allowed)
    return outside
