"""A team lead edits the quality rubric at /desk/rubric: reweighs an item and makes another critical,
adds one (a double click adds it once), moves it up, removes one and puts it back. The review scored
before keeps its score and its copy of the rubric; the next review at /desk/quality asks the new
items with the new weights. Then the page in Chinese on a phone, and an agent who leads no team is
shown no controls."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from dispatch.access import SYSTEM
from dispatch.quality import service as quality
from dispatch.quality.models import QualityReview, RubricItem
from dispatch.tickets.models import Ticket, TicketStatus
from tests.booking_world import committed
from tests.desk_factories import build_desk, open_ticket
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
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


def _world(app: Any) -> dict[str, int]:
    """A rubric of two items; two tickets agent A1 closed last week, sampled; one already scored."""

    def fill(session: Any) -> dict[str, int]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        solves = quality.create_item(session, actor=SYSTEM, name="Solves the problem", weight=3, position=1)
        polite = quality.create_item(session, actor=SYSTEM, name="Polite", weight=1, position=2)
        closed_at = datetime.combine(_last_monday() + timedelta(days=2), time(15), tzinfo=UTC)
        for subject in ("No hot water since Monday", "Radiator is cold"):
            ticket = open_ticket(session, world.ids["c1"], subject)
            session.flush()
            session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(
                    status=TicketStatus.CLOSED,
                    assignee_id=desk.ids["a1"],
                    owner_id=desk.ids["a1"],
                    closed_at=closed_at,
                )
            )
        reviews = quality.sample(session, actor=SYSTEM, week=_last_monday(), per_agent=2)
        old = next(r for r in reviews if r.ticket.subject == "No hot water since Monday")
        marks = [quality.Mark(item_id=solves.id, passed=True), quality.Mark(item_id=polite.id, passed=False)]
        quality.score(session, actor=SYSTEM, review_id=old.id, marks=marks)
        return {"old": old.id, "solves": solves.id, "polite": polite.id}

    return committed(app, fill)  # type: ignore[no-any-return]


def _login(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/desk")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).not_to_be_empty()


def _review(app: Any, review_id: int) -> tuple[int | None, list[tuple[str, int, bool]]]:
    def read(session: Any) -> tuple[int | None, list[tuple[str, int, bool]]]:
        review = session.get(QualityReview, review_id)
        return review.score, [(r["name"], r["weight"], r["critical"]) for r in review.results]

    return committed(app, read)  # type: ignore[no-any-return]


def _items(app: Any) -> int:
    return committed(app, lambda s: int(s.scalar(select(func.count()).select_from(RubricItem))))  # type: ignore[no-any-return]


def test_a_lead_edits_the_rubric_and_the_next_review_uses_it(app, live_server, browser, artifacts):
    ids = _world(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(LOCAL, lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        _login(page, live_server, "agent@example.com")  # leads the first line
        page.click("#quality-review")
        page.click("#rubric-link")
        expect(page.locator("h1")).to_have_text("Quality rubric")
        items = page.locator("#items > li")
        expect(items).to_have_count(2)
        solves = items.filter(has=page.locator(f"[data-item='{ids['solves']}']"))
        expect(solves).to_contain_text("75 % of the score")

        solves.get_by_label("Weight").fill("1")
        solves.get_by_role("button", name="Save").click()
        expect(page.locator("#saved")).to_have_text("Saved: reviews scored from now on use it.")
        polite = items.filter(has=page.locator(f"[data-item='{ids['polite']}']"))
        polite.get_by_label("What the reviewer checks").fill("Courteous")
        polite.get_by_label("Critical: failing it makes the score 0").check()
        polite.get_by_role("button", name="Save").click()
        expect(polite.locator(".badge")).to_have_text("critical item")

        page.fill("#add-name", "Checks identity first")
        page.fill("#add-weight", "2")
        before = _items(app)
        page.locator("#add").dblclick()
        expect(page.locator("#saved")).to_have_text("Added: reviews scored from now on ask it.")
        expect(items).to_have_count(3)
        assert _items(app) == before + 1
        added = items.nth(2)
        expect(added.get_by_label("What the reviewer checks")).to_have_value("Checks identity first")
        added.get_by_role("button", name="Move up").click()
        expect(page.locator("#saved")).to_have_text("The order is saved.")
        expect(items.nth(1).get_by_label("What the reviewer checks")).to_have_value("Checks identity first")
        expect(items.nth(1)).to_contain_text("50 % of the score")
        expect(items.nth(0).get_by_role("button", name="Move up")).to_be_disabled()
        expect(items.nth(2).get_by_role("button", name="Move down")).to_be_disabled()
        page.screenshot(path=str(artifacts / "rubric-1-desktop-en.png"), full_page=True)

        items.nth(1).get_by_role("button", name="Remove").click()
        expect(items).to_have_count(2)
        expect(page.locator("#retired")).to_contain_text("Checks identity first")
        page.locator("#retired li", has_text="Checks identity first").get_by_role(
            "button", name="Put back"
        ).click()
        expect(items).to_have_count(3)
        expect(page.locator("#retired-card")).to_be_hidden()

        # The review scored before keeps its rubric and its score.
        assert _review(app, ids["old"]) == (75, [("Solves the problem", 3, False), ("Polite", 1, False)])

        # The next review asks the new rubric.
        page.goto(f"{live_server}/desk/quality")
        cold = page.locator("#to-score > li", has_text="Radiator is cold")
        cold.locator("summary").click()
        marks = cold.locator("fieldset.mark")
        expect(marks).to_have_count(3)
        expect(marks.nth(0)).to_contain_text("Solves the problem")
        expect(marks.nth(0)).to_contain_text("weight 1")
        expect(cold.locator("fieldset.mark.critical")).to_contain_text("Courteous")
        for name in ("Solves the problem", "Courteous", "Checks identity first"):
            cold.locator("fieldset.mark", has_text=name).get_by_label("Passed", exact=True).check()
        cold.locator("fieldset.mark", has_text="Checks identity first").get_by_label(
            "Failed", exact=True
        ).check()
        cold.get_by_role("button", name="Submit the score").click()
        expect(cold.locator(".score")).to_have_text("Score: 50 of 100")
        assert _review(app, ids["old"])[0] == 75

        page.goto(f"{live_server}/desk/rubric")
        expect(items).to_have_count(3)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(artifacts / "rubric-2-phone-en.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(LOCAL, lambda route: route.abort())
    page = zh.new_page()
    try:
        _login(page, live_server, "agent@example.com")
        page.goto(f"{live_server}/desk/rubric")
        expect(page.locator("h1")).to_have_text("质检评分表")
        expect(page.locator("#items > li")).to_have_count(3)
        page.screenshot(path=str(artifacts / "rubric-3-phone-zh.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(artifacts / "rubric-4-desktop-zh.png"), full_page=True)

        page.evaluate("sessionStorage.clear()")
        _login(page, live_server, "a1@desk.example.com")
        page.goto(f"{live_server}/desk/rubric")
        expect(page.locator("#leads-only")).to_be_visible()
        expect(page.locator("#rubric-card")).to_be_hidden()
        expect(page.locator("#add-card")).to_be_hidden()
    finally:
        zh.close()
