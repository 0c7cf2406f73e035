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


@pytest.fixture
def live_server(app: Any, clean_db: Any) -> Iterator[str]:
    """Serve the app on a free loopback port for the length of a test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
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
