"""The dispatch console in Chromium: plan the day, see routes on the map and timeline, move, publish."""

from __future__ import annotations

import re
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
    # Before planning, the orders waiting are listed (and on the map).
    assert page.inner_text("#unassigned-count") == "40"
    assert page.locator("#unassigned li").count() == 40
    assert "waiting for a plan" in page.locator("#unassigned li").first.inner_text()
    assert page.locator("path.unassigned-marker").count() == 40
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

    planned_colours = route_colours(page)
    assert len(set(planned_colours.values())) == len(planned_colours)  # one colour per engineer

    # Pick a job another engineer could do, and move it there.
    client = app.test_client()
    headers = demo_headers(client)
    skills = {
        e["id"]: set(e["skills"]) for e in client.get("/api/v1/engineers?page_size=100", headers=headers).json
    }
    on_shift = {
        sh["engineer_id"]
        for sh in client.get(f"/api/v1/shifts?day={DAY}&page_size=100", headers=headers).json
    }
    for job in page.locator(".tl-job").all()[:12]:
        job.click()
        order_id = int(job.get_attribute("data-order"))
        engineer_row = job.locator("xpath=..").get_attribute("data-engineer")
        needs = set(client.get(f"/api/v1/orders/{order_id}", headers=headers).json["skills"])
        page.wait_for_selector("#move, #move-none")
        if page.locator("#move-none").count():  # said only when nobody else working that day can do it
            assert not [e for e in on_shift if e != int(engineer_row) and needs <= skills[e]]
            continue
        break
    options = page.locator("#move-to option").evaluate_all("els => els.map(e => e.value)")
    assert options
    assert engineer_row not in options  # the job's own engineer is not offered
    assert all(needs <= skills[int(v)] for v in options), needs  # only engineers with the skills
    assert {int(v) for v in options} == {e for e in on_shift if e != int(engineer_row) and needs <= skills[e]}
    idle = [v for v in options if v not in planned_colours]
    target = (idle or [v for v in options if v != engineer_row])[
        0
    ]  # an idle engineer changes the routes shown
    page.select_option("#move-to", target)
    page.check("#move-pin")
    page.click("#move")
    page.wait_for_selector("#move-result", timeout=15_000)
    message = page.inner_text("#message")
    # The answer is said next to the job, where the dispatcher is looking (and at the top).
    assert page.inner_text("#move-result") == message
    assert re.search("Moved to|cannot take", message)
    for engineer, colour in route_colours(page).items():
        assert planned_colours.get(engineer, colour) == colour  # colours follow engineers, not positions
    page.screenshot(path=str(artifacts / "console-moved.png"), full_page=False)
    if message.startswith("Moved to"):
        moved_row = page.locator(f".tl-row[data-engineer='{target}']")
        assert moved_row.locator(f".tl-job[data-order='{order_id}']").count() == 1
    else:
        assert "Could go to" in message or "cannot take" in message

    moved_colours = route_colours(page)
    publishes: list[str] = []
    page.on("request", lambda r: publishes.append(r.url) if r.url.endswith("/publish") else None)
    page.dblclick("#publish")  # an impatient double click publishes once and says it worked
    page.wait_for_function("() => document.querySelector('#message').textContent.startsWith('Published')")
    assert "error" not in (page.get_attribute("#message", "class") or "")
    assert len(publishes) == 1
    assert page.locator("#publish").is_disabled()
    order = client.get(f"/api/v1/orders/{order_id}", headers=headers).json
    assert order["status"] == "dispatched"
    if message.startswith("Moved to"):
        assert order["engineer"]["id"] == int(target)
        assert order["pinned"] is True
    # The live day: a visit a customer books after publishing appears on the map and the timeline.
    assert page.locator(".tl-job").count() == jobs
    booked = book_a_demo_visit(client)
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")  # back to the tab
    page.wait_for_selector(f".tl-job.since[data-order='{booked['id']}']")
    row = page.locator(f".tl-row[data-engineer='{booked['engineer']['id']}']")
    assert row.locator(f".tl-job[data-order='{booked['id']}']").count() == 1
    assert page.locator(".tl-job").count() == jobs + 1
    assert page.locator(".stop-label.since").count() == 1
    for engineer, colour in route_colours(page).items():
        assert moved_colours.get(engineer, colour) == colour
    page.screenshot(path=str(artifacts / "console-live.png"), full_page=True)

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


def route_colours(page):
    """Engineer id -> the colour of their jobs on the timeline (each route has exactly one)."""
    found = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.tl-row')].map((row) =>
        [row.dataset.engineer, [...new Set([...row.querySelectorAll('.tl-job')].map((j) => j.style.background))]]))"""
    )
    assert all(len(colours) == 1 for colours in found.values()), found
    return {engineer: colours[0] for engineer, colours in found.items()}


def book_a_demo_visit(client):
    """The demo customer books the first free window of the day for one of their sites."""
    customer = demo_headers(client, "customer")
    site = client.get("/api/v1/sites", headers=customer).json[0]
    for service in client.get("/api/v1/service-types", headers=customer).json:
        query = {"service_type_id": service["id"], "day": DAY.isoformat(), "site_id": site["id"]}
        offered = client.get("/api/v1/slots", query_string=query, headers=customer).json
        if offered:
            body = {"service_type_id": service["id"], "site_id": site["id"]}
            body |= {k: offered[0][k] for k in ("starts_at", "ends_at")}
            booked = client.post("/api/v1/bookings", json=body, headers=customer)
            assert booked.status_code == 201, booked.json
            return booked.json["order"]
    raise AssertionError("no free window on the demo day")


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
