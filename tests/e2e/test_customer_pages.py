"""A customer on a phone: log in, book a visit, follow it on the tracking page, move it, cancel it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from dispatch.access import SYSTEM
from dispatch.orders import actions
from tests.booking_world import build, committed, days_ahead
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DASH = " \N{EN DASH} "  # how the pages write a window: 10:00 - 12:00 with an en dash


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _big_enough_to_tap(page: Any, selector: str) -> None:
    page.wait_for_load_state("load")  # sizes as the person sees them: with the page's stylesheet applied
    for box in [el.bounding_box() for el in page.locator(selector).all() if el.is_visible()]:
        assert box is not None
        assert box["height"] >= 44, f"{selector} is {box['height']}px high: too small to tap"


def test_book_follow_move_and_cancel_a_visit_on_a_phone(app, live_server, browser, artifacts):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())  # no internet
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        # Booking needs an account: the page sends us to log in and back.
        page.goto(f"{live_server}/book")
        assert "/account/login" in page.url
        page.fill("#email", "grace@example.com")
        page.fill("#password", "not my password")
        page.click("button[type=submit]")
        assert page.locator(".alert").inner_text() == "That email and password do not match."
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/book")
        page.screenshot(path=str(artifacts / "customer-1-book-form.png"), full_page=True)

        # Choose the service, the address on file and the day: the free windows appear.
        page.select_option("#service", label="Boiler service")
        page.fill("#day", w.day.isoformat())
        page.click("#find button[type=submit]")
        slots = page.locator("#slots label.slot")
        expect(slots).to_have_count(5)  # waits for the page with the free times
        assert slots.first.locator("span").inner_text().strip().startswith(f"08:00{DASH}10:00")
        _big_enough_to_tap(page, "label.slot, button")
        page.screenshot(path=str(artifacts / "customer-2-slots.png"), full_page=True)
        page.get_by_text(f"12:00{DASH}14:00").click()
        page.fill("#description", "Boiler makes a banging noise")
        page.click("#slots button[type=submit]")

        # The booking page: booked, planned, with the window and a tracking link.
        page.wait_for_url(re.compile(r".*/my/bookings/\d+\?booked=1"))
        assert "Booked." in page.locator(".ok").inner_text()
        assert f"12:00{DASH}14:00" in page.locator("#window").inner_text()
        eta = page.locator("#eta").inner_text()
        assert "12:00" <= eta <= "14:00"
        page.screenshot(path=str(artifacts / "customer-3-booking.png"), full_page=True)
        order_id = int(page.url.split("/my/bookings/")[1].split("?")[0])
        tracking_url = page.locator("#tracking-link").get_attribute("href")
        assert tracking_url is not None

        # The tracking link works without logging in, and follows the plan.
        anonymous = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        track = anonymous.new_page()
        track.goto(tracking_url)
        assert track.locator("#status").inner_text() == "Booked and planned"
        assert track.locator("#eta").inner_text() == eta

        def publish_later(session: Any) -> None:
            order = actions.dispatch(session, actor=SYSTEM, order_id=order_id, expected_version=None)
            later = order.scheduled_start + timedelta(minutes=35)
            actions.transfer(
                session,
                actor=SYSTEM,
                order_id=order_id,
                expected_version=None,
                reason="re-plan",
                engineer_id=w.ids["e1"],
                scheduled_start=later,
            )
            actions.dispatch(session, actor=SYSTEM, order_id=order_id, expected_version=None)

        committed(app, publish_later)
        track.reload()
        assert track.locator("#eta").inner_text() != eta
        assert track.locator("#engineer").inner_text() == "Freya"
        assert "Jones" not in track.content()
        track.screenshot(path=str(artifacts / "customer-4-tracking.png"), full_page=True)

        # Move it to another time, then cancel it.
        page.goto(f"{live_server}/my/bookings/{order_id}")
        page.click("text=Choose another time")
        page.fill("#day", w.day.isoformat())
        page.click("button:has-text('Show free times')")
        expect(page.locator("button.slot-button")).to_have_count(4)  # every window but the booked one
        _big_enough_to_tap(page, "button.slot-button")
        page.screenshot(path=str(artifacts / "customer-5-reschedule.png"), full_page=True)
        page.click(f"button.slot-button:has-text('16:00{DASH}18:00')")
        page.wait_for_url(re.compile(r".*/my/bookings/\d+\?message=.*"))
        assert page.locator(".ok").inner_text() == "Your visit has moved."
        assert f"16:00{DASH}18:00" in page.locator("#window").inner_text()
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button.danger")
        page.wait_for_url(re.compile(r".*message=Your\+visit\+is\+cancelled.*"))
        assert page.locator("#status").inner_text() == "Visit cancelled"
        expect(page.locator("button.danger")).to_have_count(0)
        page.screenshot(path=str(artifacts / "customer-6-cancelled.png"), full_page=True)
        track.reload()
        assert track.locator("#status").inner_text() == "Visit cancelled"
        anonymous.close()

        # Your visits: by visit date, in plain words.
        page.goto(f"{live_server}/my/bookings")
        assert page.locator("#earlier .status").first.inner_text() == "Visit cancelled"
        page.screenshot(path=str(artifacts / "customer-7-visits.png"), full_page=True)
        # A mistyped address is a friendly page, not an error payload.
        lost = page.goto(f"{live_server}/my/bokings")
        assert lost is not None
        assert lost.status == 404
        assert page.locator("h1").inner_text() == "We cannot find that page"
        page.screenshot(path=str(artifacts / "customer-8-not-found.png"), full_page=True)

        # An unknown link is a plain 404 page.
        missing = page.goto(f"{live_server}/track/not-a-real-link")
        assert missing is not None
        assert missing.status == 404
        assert "cannot find this visit" in page.content()
        assert blocked == []  # every step above worked under the Content-Security-Policy
    finally:
        ctx.close()


def _log_in(page: Any, base: str, then: str) -> None:
    page.goto(f"{base}/account/login?next={then}")
    page.fill("#email", "grace@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


class SlowPosts:
    """A slow network in front of the app: form posts wait until the test lets them through."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self.release = threading.Event()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST":
            self.release.wait(timeout=20)
        return self.wsgi_app(environ, start_response)


def test_a_double_click_on_book_on_a_slow_network_books_one_visit(app, live_server, browser):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    ctx = browser.new_context(viewport=PHONE)
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/book") else None
    )
    fast = app.wsgi_app
    try:
        _log_in(page, live_server, "/book")
        page.select_option("#service", label="Boiler service")
        page.fill("#day", w.day.isoformat())
        page.click("#find button[type=submit]")
        page.get_by_text(f"10:00{DASH}12:00").click()
        slow = app.wsgi_app = SlowPosts(fast)
        book = page.locator("#slots button[type=submit]")
        book.scroll_into_view_if_needed()
        box = book.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        with page.expect_request(lambda r: r.method == "POST"):
            page.mouse.click(x, y)  # the raw tap: no waiting for the page that follows
        with page.expect_request(lambda r: r.method == "POST"):
            page.mouse.click(x, y)  # nothing seems to happen, so the customer taps again
        slow.release.set()  # both reach the server at once
        page.wait_for_url(re.compile(r".*/my/bookings/\d+\?booked=1"))
        assert len(posts) == 2  # the browser really sent the form twice
        # Back to the form, and "Book" once more.
        page.go_back()
        page.wait_for_selector("#slots button[type=submit]")
        page.get_by_text(f"10:00{DASH}12:00").click()
        book.click()
        page.wait_for_url(re.compile(r".*/my/bookings/\d+\?booked=1"))
        assert len(posts) == 3
        client = app.test_client()
        listed = client.get("/api/v1/orders", headers=w.headers["dispatcher"]).json
        assert len(listed) == 1, [o["number"] for o in listed]
        assert page.url.split("?")[0].endswith(f"/my/bookings/{listed[0]['id']}")
        assert "Booked." in page.locator(".ok").inner_text()
        assert blocked == []
    finally:
        app.wsgi_app = fast
        ctx.close()
