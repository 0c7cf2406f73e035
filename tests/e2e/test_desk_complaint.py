"""An agent fills a complaint at the desk and closes it: resolving is refused until the root cause
and the responsible party are given; the repeat of an earlier complaint's cause is flagged."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from dispatch.access import SYSTEM
from dispatch.complaints import causes
from dispatch.complaints import service as complaints
from dispatch.tickets.models import TicketKind
from tests.booking_world import committed
from tests.desk_factories import build_desk, open_ticket
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _world(app: Any) -> dict[str, Any]:
    def fill(session: Any) -> dict[str, Any]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        engineer = causes.create(session, actor=SYSTEM, name="Engineer")
        causes.create(session, actor=SYSTEM, name="Late arrival", parent_id=engineer.id)
        late = causes.list_causes(session, actor=SYSTEM)[1]
        earlier = open_ticket(session, world.ids["c1"], "Late last month", kind=TicketKind.COMPLAINT)
        complaints.update(
            session,
            actor=SYSTEM,
            ticket_id=earlier.id,
            expected_version=None,
            changes={"cause_id": late.id},
            limits=complaints.Limits(agent=5_000, lead=50_000),
        )
        ticket = open_ticket(
            session,
            world.ids["c1"],
            "The engineer came three hours late",
            kind=TicketKind.COMPLAINT,
            team_id=desk.ids["first"],
            order_ids=[world.ids["o_disp"]],
        )
        return {"ticket": ticket.id, "earlier": earlier.number}

    return committed(app, fill)  # type: ignore[no-any-return]


def _login(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/desk")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).not_to_be_empty()


def _status(page: Any, status: str) -> None:
    if not page.locator("#act-status").evaluate("details => details.open"):
        page.click("#act-status summary")
    page.select_option("#status-to", status)
    page.click("#act-status button[type=submit]")


def test_an_agent_fills_a_complaint_and_closes_it(app, live_server, browser, artifacts):
    ids = _world(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/desk#t/{ids['ticket']}")
        expect(page.locator("#complaint")).to_be_visible()
        expect(page.locator("#cp-missing")).to_contain_text("a root cause, a responsible party")

        # Resolving is refused, and the refusal says what is missing.
        _status(page, "resolved")
        expect(page.locator("#act-status .error")).to_contain_text("root cause and a responsible party")
        expect(page.locator("#t-status")).to_have_text("New")

        page.select_option("#cp-grade", "major")
        page.select_option("#cp-cause", label="\u2014 Late arrival")
        page.select_option("#cp-responsible", "engineer")
        expect(page.locator("#cp-partner")).to_be_hidden()
        page.select_option("#cp-engineer", label="Freya Jones")
        page.fill("#cp-wish", "An apology and the call-out fee back")
        page.fill("#cp-resolution", "Apologised on the phone; call-out fee refunded")
        page.fill("#cp-compensation", "600.00")  # above the lead's limit of 500.00
        expect(page.locator("#cp-limit")).to_contain_text("500.00")
        page.click("#cp-save")
        expect(page.locator("#cp-error")).to_contain_text("above your limit")
        page.fill("#cp-compensation", "45.00")
        page.fill("#cp-follow-at", "2026-12-04T10:30")
        page.select_option("#cp-outcome", "satisfied")
        page.fill("#cp-corrective", "Plans keep a 30 minute margin before promised windows")
        page.click("#cp-save")
        expect(page.locator("#ticket-message")).to_have_text("Complaint saved.")
        expect(page.locator("#cp-missing")).to_have_text("Ready to be resolved.")
        expect(page.locator("#cp-repeat")).to_contain_text(ids["earlier"])
        expect(page.locator("#cp-follow-by")).to_contain_text("Called by")
        page.screenshot(path=str(artifacts / "complaint-1-filled.png"), full_page=True)

        _status(page, "resolved")
        expect(page.locator("#t-status")).to_have_text("Resolved")
        _status(page, "closed")
        expect(page.locator("#t-status")).to_have_text("Closed")
        expect(page.locator("#cp-save")).to_be_disabled()
        expect(page.locator("#cp-compensation")).to_have_value("45.00")
        assert not blocked, blocked
    finally:
        ctx.close()

    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = zh.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/desk#t/{ids['ticket']}")
        expect(page.locator("#cp-repeat")).to_contain_text("重复投诉")
        expect(page.locator("#cp-save")).to_have_text("保存投诉")
        page.locator("#complaint").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "complaint-2-phone-zh.png"), full_page=True)
    finally:
        zh.close()
