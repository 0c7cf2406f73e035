"""Security headers on every answer: CSP, framing, sniffing, referrer, and HSTS only over HTTPS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from api import create_app
from tests.booking_world import PASSWORD, build, committed, days_ahead

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


def directives(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy of a response as directive -> sources."""
    policy = response.headers["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def assert_guarded(response: Any) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert {"'self'", "data:", "blob:"} <= set(policy["img-src"])
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.fixture
def tiled(app_settings: dict[str, Any], clean_db: Any) -> Iterator[Any]:
    """An app with a map tile server configured."""
    app = create_app({**app_settings, "map_tile_url": TILES})
    yield app
    app.extensions["dispatch.db"].engine.dispose()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/healthz",
        "/console",
        "/console/static/console.js",
        "/account/login",
        "/book",
        "/track/not-a-link",
        "/app/",
        "/app/sw.js",
        "/api/docs",
        "/api/openapi.json",
        "/api/v1/orders",
        "/api/v1/no-such-thing",
        "/no-such-page",
    ],
)
def test_every_answer_carries_the_headers(client, path):
    with client.get(path) as response:  # static files are streamed: close them
        assert response.status_code < 500
        assert_guarded(response)


def test_the_console_may_load_tiles_from_the_configured_host_and_nothing_else_may(tiled):
    client = tiled.test_client()
    console = directives(client.get("/console"))
    assert "https://*.tiles.example.org" in console["img-src"]
    for path in ("/account/login", "/app/", "/api/docs"):
        with client.get(path) as response:
            assert "https://*.tiles.example.org" not in directives(response)["img-src"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/account/login").headers
    secure = client.get("/account/login", base_url="https://dispatch.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_forwarded_scheme_counts_only_behind_a_trusted_proxy(app_settings, clean_db):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = create_app(app_settings)
    answer = untrusted.test_client().get("/account/login", headers=forwarded)
    assert "Strict-Transport-Security" not in answer.headers  # anyone can send that header
    trusted = create_app({**app_settings, "trusted_proxies": 1})
    answer = trusted.test_client().get("/account/login", headers=forwarded)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    for app in (untrusted, trusted):
        app.extensions["dispatch.db"].engine.dispose()


class _Scripts(HTMLParser):
    """Collects inline scripts and inline event handlers, which the policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script" and "src" not in found

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def inline_scripts(html: str) -> list[str]:
    parser = _Scripts()
    parser.feed(html)
    return parser.inline


def _text(client: Any, path: str, **kwargs: Any) -> str:
    with client.get(path, **kwargs) as response:
        return str(response.get_data(as_text=True))


def test_no_page_relies_on_inline_script(client, app):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    pages = ["/", "/console", "/api/docs", "/account/login", "/app/"]
    html = {path: _text(client, path) for path in pages}
    client.post("/account/login", data={"email": "grace@example.com", "password": PASSWORD, "next": "/"})
    query = {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], "day": w.day.isoformat()}
    for path in ("/book", "/my/bookings"):
        html[path] = client.get(path, query_string=query).get_data(as_text=True)
    assert "Book this time" in html["/book"]
    csrf = client.get_cookie("csrf_access_token").value
    slot = re.search(r'data-start="([^"]+)" data-end="([^"]+)"', html["/book"])
    assert slot is not None
    booked = client.post(
        "/book", data={**query, "csrf_token": csrf, "starts_at": slot[1], "ends_at": slot[2]}
    )
    assert booked.status_code in (302, 303)
    visit = booked.headers["Location"].split("?")[0]
    html[visit] = client.get(visit).get_data(as_text=True)
    html["reschedule"] = client.get(f"{visit}/reschedule").get_data(as_text=True)
    assert "Cancel visit" in html[visit]
    for path, page in html.items():
        assert inline_scripts(page) == [], path
