"""The desk's clocks in the browser: the about-to-breach queue with its count, each clock of the
ticket with the time left in business hours, and a public reply stopping the first-response clock."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.booking_world import committed
from tests.desk_factories import build_desk, open_ticket
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world
from tests.sla_factories import HOUR, always_calendar, policy

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _timed_desk(app: Any) -> dict[str, Any]:
    def fill(session: Any) -> dict[str, Any]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        policy(
            session,
            always_calendar(session),
            "Urgent faults",
            first_response_s=40 * 60,
            next_response_s=None,
            resolution_s=8 * HOUR,
        )
        soon = open_ticket(session, world.ids["c1"], "Smell of gas in the kitchen", team_id=desk.ids["first"])
        return {"soon": soon.id, "number": soon.number}

    return committed(app, fill)  # type: ignore[no-any-return]


def _login(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/desk")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_the_agent_sees_what_is_about_to_breach_and_how_long_each_clock_has(
    app, live_server, browser, artifacts
):
    ids = _timed_desk(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        _login(page, live_server)
        # First response is due within the hour: the queue counts it and lists it with its time left.
        expect(page.locator("#count-soon")).to_have_text("1")
        page.click("a[data-queue=soon]")
        row = page.locator("#tickets li")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(ids["number"])
        expect(row.locator(".due")).to_have_text(re.compile(r"^(39|40) min left in business hours$"))

        # The ticket's clocks: which policy and why, first response and resolution with time left.
        row.locator("a").click()
        expect(page.locator("#t-subject")).to_have_text("Smell of gas in the kitchen")
        expect(page.locator("#clock-policy")).to_contain_text("Urgent faults")
        clocks = page.locator("#clocks li")
        expect(clocks).to_have_count(2)
        first = clocks.filter(has_text="First response")
        expect(first.locator(".clock-left")).to_have_text(re.compile(r"^(39|40) min left in business hours$"))
        expect(first).to_contain_text("due ")
        resolution = clocks.filter(has_text="Resolution")
        expect(resolution.locator(".clock-left")).to_have_text(
            re.compile(r"^(7 h 59 min|8 h 0 min) left in business hours$")
        )
        page.screenshot(path=str(artifacts / "desk-clocks-1.png"), full_page=True)

        # An internal note is not an answer; a public reply is, and the ticket leaves the queue.
        page.fill("#reply-body", "Checking the meter reading first")
        page.click("#send-note")
        expect(page.locator(".msg-note")).to_have_count(1)
        expect(first.locator(".clock-left")).to_have_text(re.compile(r"min left in business hours$"))
        page.fill("#reply-body", "Please open the windows and leave the house; an engineer is on the way.")
        page.click("#send-reply")
        expect(page.locator(".msg-reply")).to_have_count(1)
        expect(first.locator(".clock-left")).to_have_text("met")
        expect(page.locator("#count-soon")).to_have_text("0")
        assert not blocked, blocked
    finally:
        ctx.close()

    # The same clocks on a phone, in Chinese.
    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = zh.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/desk#t/{ids['soon']}")
        expect(page.locator("#clocks li")).to_have_count(2)
        expect(page.locator("#clocks li").filter(has_text="首次响应")).to_contain_text("已达成")  # met
        expect(page.locator("#clocks li").filter(has_text="解决")).to_contain_text("工作时间内剩余")
        page.screenshot(path=str(artifacts / "desk-clocks-2-phone-zh.png"), full_page=True)
    finally:
        zh.close()
