"""The customer pages and the dispatch console as a Chinese reader sees them in Chromium (zh-CN), on a
phone and on a desktop: no English left in what the pages say, and screenshots to look at (the CJK
fonts come from Debian's fonts-noto-cjk, installed by scripts/install-chromium)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.booking_world import build, committed, days_ahead
from tests.e2e.conftest import block_outside
from tests.e2e.csp import watch_csp
from tests.e2e.test_console import DAY, DEAD_TILES
from tests.factories import PASSWORD, load_demo_day
from tests.untranslated import english_left, shown_as_written

pytestmark = pytest.mark.browser
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _says_only_chinese(page: Any, selector: str, data: set[str]) -> str:
    text = str(page.locator(selector).inner_text())
    assert CHINESE.search(text), (page.url, selector, text)
    assert english_left(text, data) == [], (page.url, selector, text)
    return text


@pytest.mark.parametrize("size", SIZES)
def test_the_customer_pages_in_chinese(app, live_server, browser, artifacts, size):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    data = committed(app, lambda s: shown_as_written(s, app))
    written = lambda: committed(app, lambda s: shown_as_written(s, app))  # noqa: E731 (after booking)
    ctx = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1)
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())  # no internet
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/book")
        assert page.evaluate("() => document.documentElement.lang") == "zh-Hans"
        _says_only_chinese(page, "main", data)
        page.screenshot(path=str(artifacts / f"zh-{size}-1-login.png"), full_page=True)
        page.fill("#email", "grace@example.com")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/book")

        page.fill("#day", w.day.isoformat())
        page.click("#find button[type=submit]")
        expect(page.locator("#slots label.slot")).to_have_count(5)
        heading = _says_only_chinese(page, "main", data)
        assert "可预约的时段" in heading
        page.screenshot(path=str(artifacts / f"zh-{size}-2-slots.png"), full_page=True)
        page.locator("#slots label.slot").nth(2).click()
        page.fill("#description", "热水器有异响")
        page.click("#slots button[type=submit]")

        page.wait_for_url(re.compile(r".*/my/bookings/\d+\?booked=1"))
        assert "预约成功" in _says_only_chinese(page, "main", written())
        page.screenshot(path=str(artifacts / f"zh-{size}-3-booking.png"), full_page=True)
        tracking_url = page.locator("#tracking-link").get_attribute("href")
        assert tracking_url is not None

        page.goto(tracking_url)
        assert _says_only_chinese(page, "#status", written()) == "已预约并安排好"
        _says_only_chinese(page, "main", written())
        page.screenshot(path=str(artifacts / f"zh-{size}-4-tracking.png"), full_page=True)

        page.goto(f"{live_server}/my/bookings")
        _says_only_chinese(page, "main", written())
        page.screenshot(path=str(artifacts / f"zh-{size}-5-visits.png"), full_page=True)

        lost = page.goto(f"{live_server}/my/bokings")
        assert lost is not None
        assert lost.status == 404
        assert page.locator("h1").inner_text() == "找不到该页面"
        page.screenshot(path=str(artifacts / f"zh-{size}-6-not-found.png"), full_page=True)

        # The switch on every page: English from now on for this browser, back where the reader was.
        page.goto(f"{live_server}/my/bookings")
        page.click("nav.langs a[lang=en]")
        page.wait_for_url(f"{live_server}/my/bookings")
        assert page.locator("h1").inner_text() == "Your visits"
    finally:
        ctx.close()
    assert blocked == []


@pytest.fixture
def console_server(app_settings, clean_db):
    from api import create_app

    app = create_app({**app_settings, "map_tile_url": DEAD_TILES, "map_attribution": "test tiles"})
    load_demo_day(app, 30, DAY)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    app.extensions["dispatch.db"].engine.dispose()


def test_the_console_in_chinese_on_a_desktop_and_a_phone(browser, console_server, artifacts):
    base, _app = console_server
    context = browser.new_context(viewport=SIZES["desktop"], locale="zh-CN")
    outside = block_outside(context, base, "http://127.0.0.1:9/")
    blocked = watch_csp(context)
    page = context.new_page()
    try:
        page.goto(f"{base}/console")
        _says_only_chinese(page, "#login", set())
        page.fill("#email", "dispatcher@example.com")
        page.fill("#password", "demo-dispatch-1")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#app:not([hidden])")
        page.wait_for_function("() => document.querySelector('#message').textContent.includes('还没有方案')")
        for part in ("#message", ".toolbar", "#summary"):
            _says_only_chinese(page, part, set())
        assert "等待排班" in page.locator("#unassigned li").first.inner_text()

        page.select_option("#time-limit", "5")
        page.click("#plan")
        page.wait_for_function(
            "() => /方案 \\d+ 已就绪/.test(document.querySelector('#message').textContent)", timeout=60_000
        )
        for part in ("#message", ".toolbar", "#summary"):
            _says_only_chinese(page, part, set())
        page.locator(".tl-job").first.click()
        assert CHINESE.search(page.locator("#selected").inner_text())
        page.screenshot(path=str(artifacts / "zh-desktop-console.png"), full_page=True)

        page.set_viewport_size(SIZES["phone"])
        page.screenshot(path=str(artifacts / "zh-phone-console.png"), full_page=True)
    finally:
        context.close()
    assert blocked == []
    assert outside == []
