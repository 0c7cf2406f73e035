"""A team lead reviews quality at /desk/quality: draws last week's sample, scores one review with a
failed critical item (0) and one that passes (a double click scores once), is refused scoring their
own work in the API's words, and reads the scores per agent and week. An agent who leads no team
gets no lead controls."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from dispatch.access import SYSTEM
from dispatch.events.models import Event
from dispatch.quality import service as quality
from dispatch.tickets.models import Ticket, TicketStatus
from tests.booking_world import committed
from tests.desk_factories import build_desk, open_ticket
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL = re.compile(r"^(?!http://127\.0\.0\.1).*")


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _last_monday() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday() + 7)


def _world(app: Any) -> dict[str, Any]:
    """Two tickets agent A1 closed last week, one the lead closed; a rubric of two items."""

    def fill(session: Any) -> dict[str, Any]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        quality.create_item(session, actor=SYSTEM, name="Solves the problem", weight=3, position=1)
        quality.create_item(
            session, actor=SYSTEM, name="Checks identity first", weight=1, critical=True, position=2
        )
        closed_at = datetime.combine(_last_monday() + timedelta(days=2), time(15), tzinfo=UTC)
        worked = {
            "No hot water since Monday": desk.ids["a1"],
            "Radiator is cold": desk.ids["a1"],
            "Invoice address is wrong": world.ids["user_agent"],
        }
        for subject, agent_id in worked.items():
            ticket = open_ticket(session, world.ids["c1"], subject)
            session.flush()
            session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(
                    status=TicketStatus.CLOSED, assignee_id=agent_id, owner_id=agent_id, closed_at=closed_at
                )
            )
        return {"a1": desk.ids["a1"]}

    return committed(app, fill)  # type: ignore[no-any-return]


def _login(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/desk")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).not_to_be_empty()


def _mark(review: Any, item: str, verdict: str) -> None:
    review.locator("fieldset.mark", has_text=item).get_by_label(verdict, exact=True).check()


def _scored_events(app: Any) -> int:
    def count(session: Any) -> int:
        stmt = select(func.count()).where(Event.entity_type == "quality_review", Event.action == "scored")
        return int(session.scalar(stmt))

    return committed(app, count)  # type: ignore[no-any-return]


def test_a_lead_draws_a_sample_scores_it_and_reads_the_weekly_table(app, live_server, browser, artifacts):
    _world(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(LOCAL, lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    score_posts: list[str] = []
    page.on(
        "request",
        lambda r: score_posts.append(r.url) if r.method == "POST" and r.url.endswith("/score") else None,
    )
    try:
        _login(page, live_server, "agent@example.com")  # leads the first line
        page.click("#quality-review")
        expect(page.locator("#sample-week")).to_have_value(_last_monday().isoformat())
        page.click("#sample-draw")
        expect(page.locator("#sample-summary")).to_have_text("3 tickets picked for review.")
        picked = page.locator("#sample-picked li")
        expect(picked).to_have_count(3)
        expect(picked.filter(has_text="No hot water since Monday")).to_contain_text("A1")
        expect(picked.filter(has_text="Radiator is cold").locator("a")).to_have_attribute(
            "href", re.compile(r"^/desk#t/\d+$")
        )
        expect(page.locator("#to-score > li")).to_have_count(3)

        hot = page.locator("#to-score > li", has_text="No hot water since Monday")
        hot.locator("summary").click()
        expect(hot.locator("fieldset.mark.critical")).to_contain_text("Checks identity first")
        expect(hot.locator("fieldset.mark", has_text="Solves the problem")).to_contain_text("weight 3")
        _mark(hot, "Solves the problem", "Passed")
        _mark(hot, "Checks identity first", "Failed")
        hot.get_by_label("Comment (optional)").fill("Read the account out before asking who called")
        hot.get_by_role("button", name="Submit the score").click()
        expect(hot.locator(".score")).to_have_text("Score: 0 of 100 · a critical item failed")

        cold = page.locator("#to-score > li", has_text="Radiator is cold")
        cold.locator("summary").click()
        _mark(cold, "Solves the problem", "Passed")
        _mark(cold, "Checks identity first", "Passed")
        before = _scored_events(app)
        cold.get_by_role("button", name="Submit the score").dblclick()
        expect(cold.locator(".score")).to_have_text("Score: 100 of 100")
        assert _scored_events(app) == before + 1
        assert len([u for u in score_posts if u == score_posts[-1]]) == 1

        own = page.locator("#to-score > li", has_text="Invoice address is wrong")
        own.locator("summary").click()
        _mark(own, "Solves the problem", "Passed")
        _mark(own, "Checks identity first", "Passed")
        own.get_by_role("button", name="Submit the score").click()
        expect(own.locator(".error")).to_have_text("your own work is reviewed by another lead")

        row = page.locator("#scores tr", has_text="A1")
        expect(row.locator("td")).to_have_text(
            ["A1", re.compile(rf"\b{_last_monday().day}\b"), "2", "50", "1"]
        )
        page.screenshot(path=str(artifacts / "quality-lead-1-desktop-en.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(artifacts / "quality-lead-2-phone-en.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(LOCAL, lambda route: route.abort())
    page = zh.new_page()
    try:
        _login(page, live_server, "agent@example.com")
        page.goto(f"{live_server}/desk/quality")
        expect(page.locator("h1")).to_have_text("质检评审")
        expect(page.locator("#scores tr")).to_have_count(1)
        page.locator("#to-score > li summary").first.click()
        page.screenshot(path=str(artifacts / "quality-lead-3-phone-zh.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(artifacts / "quality-lead-4-desktop-zh.png"), full_page=True)

        # An agent who leads no team: no lead link at the desk, and the page offers no lead controls.
        page.evaluate("sessionStorage.clear()")
        _login(page, live_server, "a1@desk.example.com")
        expect(page.locator("#my-reviews")).to_be_visible()
        expect(page.locator("#quality-review")).to_be_hidden()
        page.goto(f"{live_server}/desk/quality")
        expect(page.locator("#leads-only")).to_be_visible()
        expect(page.locator("#sample-card")).to_be_hidden()
        expect(page.locator("#to-score-card")).to_be_hidden()
        # Their own reviews page reads with the same desk login.
        page.goto(f"{live_server}/desk/reviews")
        expect(page.locator("#reviews-card")).to_be_visible()
        expect(page.locator("#weeks-card")).to_be_visible()
        expect(page.locator("#login-first")).to_be_hidden()
    finally:
        zh.close()
