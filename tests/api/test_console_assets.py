"""The console page and its vendored assets: served locally, unchanged, tile server configurable."""

from __future__ import annotations

import hashlib

from tests.conftest import repo_root

VENDOR = repo_root() / "api" / "static" / "vendor"


def test_vendored_files_are_exactly_the_released_ones():
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_console_page_loads_only_local_assets(client):
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "http://" not in html
    assert "https://" not in html
    assert 'data-tile-url=""' in html  # no tile server configured: routes drawn on a plain background
    for asset in ("vendor/leaflet/leaflet.js", "console.js", "console.css"):
        with client.get(f"/console/static/{asset}") as response:
            assert response.status_code == 200, asset


def test_tile_server_comes_from_the_settings(app_settings):
    from api import create_app

    app = create_app({**app_settings, "map_tile_url": "https://tiles.example.org/{z}/{x}/{y}.png"})
    html = app.test_client().get("/console").get_data(as_text=True)
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    app.extensions["dispatch.db"].engine.dispose()
