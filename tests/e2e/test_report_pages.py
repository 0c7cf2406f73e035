"""A dispatcher reads the reports: ticket volume by channel and first-response times drawn by the
vendored Chart.js, the table beside the chart, a CSV download; then the page in Chinese on a phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from dispatch.reports import service
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind
from tests.booking_world import committed
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world
from tests.sla_factories import always_calendar

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TZ = "Europe/London"


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _fortnight(app: Any) -> None:
    """Two weeks of tickets (2 by email and 1 by phone a day), each answered after n+1 hours; rows built."""

    def fill(session: Any) -> None:
        world = build_world(session, app)
        calendar = always_calendar(session)
        yesterday = datetime.now(ZoneInfo(TZ)).date() - timedelta(days=1)
        days = service.days(yesterday - timedelta(days=13), yesterday)
        for n, day in enumerate(days):
            noon = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            for i, channel in enumerate(("email", "email", "phone")):
                ticket = Ticket(
                    kind=TicketKind.FAULT,
                    channel=TicketChannel(channel),
                    subject="Radiator cold",
                    customer_id=world.ids["c1"],
                    created_at=noon,
                )
                session.add(ticket)
                session.flush()
                session.add(
                    SlaClock(
                        ticket_id=ticket.id,
                        key="first_response",
                        kind=ClockKind.FIRST_RESPONSE,
                        policy_id=1,
                        calendar_id=calendar,
                        target_s=4 * 3600,
                        started_at=noon,
                        stopped_at=noon + timedelta(hours=1 + (n + i) % 3),
                    )
                )
        session.flush()
        for day in days:
            service.build_day(session, day, time_zone=TZ)

    committed(app, fill)


def test_a_dispatcher_reads_the_reports_in_english_and_chinese(app, live_server, browser, artifacts):
    _fortnight(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/reports")
        page.fill("#email", "dispatcher@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")

        # Ticket volume per day: 14 days of 3 tickets, then split by channel.
        expect(page.locator("#title")).to_have_text("Tickets created")
        expect(page.locator("#table tbody tr")).to_have_count(14)
        expect(page.locator("#table tbody tr").first).to_contain_text("3")
        page.select_option("#group", "channel")
        page.click("#ask button[type=submit]")
        expect(page.locator("#table tbody tr")).to_have_count(28)
        expect(page.locator("#table tbody")).to_contain_text("Phone")
        assert page.evaluate("() => window.Chart.getChart('chart').data.datasets.length") == 2
        page.screenshot(path=str(artifacts / "reports-1-volume.png"), full_page=True)

        # First response, by week: median and p90 drawn as two lines, hours in the table.
        page.select_option("#figure", "first_response")
        page.select_option("#every", "week")
        page.click("#ask button[type=submit]")
        expect(page.locator("#title")).to_have_text("First response time (business hours)")
        expect(page.locator("#p90-head")).to_be_visible()
        expect(page.locator("#table tbody")).to_contain_text("3 h")
        assert page.evaluate("() => window.Chart.getChart('chart').data.datasets.length") == 2
        page.screenshot(path=str(artifacts / "reports-2-first-response.png"), full_page=True)

        with page.expect_download() as download:
            page.click("#csv")
        assert download.value.suggested_filename.startswith("first_response_")
        assert download.value.path().read_text().startswith("period,key,label,value,p90,count,total")

        # The same page in Chinese on a phone: the figure's title, the labels, the numbers.
        page.set_viewport_size(PHONE)
        page.click("a[href*='/switch/zh_Hans']")
        expect(page.locator("h1")).to_have_text("报表")
        expect(page.locator("#title")).to_have_text("新建工单")
        page.select_option("#figure", "first_response")
        page.click("#ask button[type=submit]")
        expect(page.locator("#title")).to_contain_text("首次响应时间")
        expect(page.locator("#table tbody")).to_contain_text("小时")
        page.screenshot(path=str(artifacts / "reports-3-phone-zh.png"), full_page=True)
        assert blocked == []
    finally:
        ctx.close()
