"""The dispatch console in Chromium: plan the day, see routes on the map and timeline, move, publish."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from dispatch.demo import loader
from tests.e2e.conftest import block_outside
from tests.e2e.csp import watch_csp
from tests.factories import demo_headers, load_demo_day

pytestmark = pytest.mark.browser
DAY = loader.next_working_day(datetime.now(ZoneInfo("Europe/London")).date())
# A tile server that does not answer: the console must still draw every route and stop.
DEAD_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def console_server(app_settings, clean_db):
    from api import create_app

    app = create_app({**app_settings, "map_tile_url": DEAD_TILES, "map_attribution": "test tiles"})
    load_demo_day(app, 40, DAY)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    app.extensions["dispatch.db"].engine.dispose()


def test_dispatcher_plans_adjusts_and_publishes_the_day(browser, console_server, artifacts):
    base, app = console_server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = block_outside(context, base, "http://127.0.0.1:9/")
    blocked = watch_csp(context)
    page = context.new_page()
    page.goto(f"{base}/console")
    page.fill("#email", "dispatcher@example.com")
    page.fill("#password", "demo-dispatch-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_function("() => document.querySelector('#message').textContent.includes('No plan')")
    page.fill("#day", DAY.isoformat())
    page.select_option("#time-limit", "5")
    page.click("#plan")
    # Progress is visible while the optimizer works.
    page.wait_for_selector("#progress:not([hidden])", timeout=10_000)
    assert page.is_disabled("#plan")
    page.wait_for_function(
        "() => document.querySelector('#message').textContent.includes('is ready')", timeout=60_000
    )
    routes = page.locator(".tl-row").count()
    assert routes >= 5
    # Every route is drawn on the map, every stop has a marker, with no tile ever loaded.
    assert page.locator("path.route-line").count() == routes
    jobs = page.locator(".tl-job").count()
    assert page.locator(".stop-label").count() == jobs
    left = int(page.inner_text("#unassigned-count"))
    assert jobs + left == 40
    assert page.locator("#publish").is_enabled()
    page.screenshot(path=str(artifacts / "console-planned.png"), full_page=True)

    # Pick the first job of the busiest route and move it to another engineer.
    first_job = page.locator(".tl-job").first
    order_id = int(first_job.get_attribute("data-order"))
    first_job.click()
    page.wait_for_selector("#move")
    engineer_row = page.locator(".tl-row").first.get_attribute("data-engineer")
    options = page.locator("#move-to option").evaluate_all("els => els.map(e => e.value)")
    target = next(v for v in options if v != engineer_row)
    page.select_option("#move-to", target)
    page.check("#move-pin")
    page.click("#move")
    page.wait_for_function(
        "() => /Moved to|cannot take/.test(document.querySelector('#message').textContent)", timeout=15_000
    )
    message = page.inner_text("#message")
    page.screenshot(path=str(artifacts / "console-moved.png"), full_page=False)
    if message.startswith("Moved to"):
        moved_row = page.locator(f".tl-row[data-engineer='{target}']")
        assert moved_row.locator(f".tl-job[data-order='{order_id}']").count() == 1
    else:
        assert "Could go to" in message or "cannot take" in message

    page.click("#publish")
    page.wait_for_function("() => document.querySelector('#message').textContent.startsWith('Published')")
    assert page.locator("#publish").is_disabled()
    client = app.test_client()
    order = client.get(f"/api/v1/orders/{order_id}", headers=demo_headers(client)).json
    assert order["status"] == "dispatched"
    if message.startswith("Moved to"):
        assert order["engineer"]["id"] == int(target)
        assert order["pinned"] is True
    # During the day: re-plan from the published day; the page lists what would change.
    page.click("#replan")
    page.wait_for_function(
        "() => /Plan \\d+ is ready/.test(document.querySelector('#message').textContent)", timeout=60_000
    )
    assert page.is_visible("#changes-card")
    summary = page.locator("#changes li").first.inner_text()
    assert "unchanged" in summary
    assert int(summary.split(" unchanged")[0]) > 0  # a re-plan does not churn the published day
    page.screenshot(path=str(artifacts / "console-replan.png"), full_page=True)
    assert outside == []
    assert blocked == []  # the map, the timeline and every control work under the CSP
    context.close()


def test_the_console_is_for_dispatchers(browser, console_server):
    base, _ = console_server
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/console")
    page.fill("#email", "engineer@example.com")
    page.fill("#password", "demo-engineer-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#login-error').textContent.includes('for dispatchers')"
    )
    assert page.is_hidden("#app")
    context.close()
