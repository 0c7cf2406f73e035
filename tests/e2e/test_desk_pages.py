"""An agent works a ticket at the desk: queues, the ticket and how satisfied its customer was, a reply
(double-clicked), a note after someone else changed the ticket, a transfer, a take-back, an escalation
and a merge of a duplicate; an emailed message with the whole email one click away."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.db import utcnow
from dispatch.orders.models import Priority
from dispatch.surveys.models import Survey, SurveySubject
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket
from tests.booking_world import committed
from tests.desk_factories import build_desk, open_ticket
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _desk(app: Any) -> dict[str, Any]:
    def fill(session: Any) -> dict[str, Any]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        first = desk.ids["first"]
        session.add(
            Survey(
                subject=SurveySubject.VISIT,
                order_id=world.ids["o_site"],
                customer_id=world.ids["c1"],
                expires_at=utcnow() + timedelta(days=30),
                answered_at=utcnow() - timedelta(days=2),
                score=4,
                comment="Quick and tidy",
            )
        )
        main = open_ticket(session, world.ids["c1"], "No hot water", team_id=first)
        dup = open_ticket(session, world.ids["c1"], "Still no hot water", team_id=first)
        return {"main": main.id, "dup": dup.id, "main_number": main.number}

    return committed(app, fill)  # type: ignore[no-any-return]


def _bump(app: Any, ticket_id: int) -> None:
    """Someone else changes the ticket (its ETag moves on)."""

    def fill(session: Any) -> None:
        ticket = session.get(Ticket, ticket_id)
        tickets.update(
            session,
            actor=SYSTEM,
            ticket_id=ticket_id,
            expected_version=ticket.version,
            changes={"priority": Priority.HIGH},
        )

    committed(app, fill)


def _settle(app: Any) -> None:
    queue = app.extensions["dispatch.queue"]
    if hasattr(queue, "wait_idle"):
        queue.wait_idle()


def test_an_agent_works_a_ticket_from_the_queue_to_a_merge(app, live_server, browser, artifacts):
    ids = _desk(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/desk")
        page.fill("#email", "agent@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")

        # The queues with their counts; my team's holds both new tickets.
        expect(page.locator("#count-team")).to_have_text("2")
        page.click("a[data-queue=team]")
        rows = page.locator("#tickets li")
        expect(rows).to_have_count(2)
        page.screenshot(path=str(artifacts / "desk-1-queue.png"), full_page=True)

        # The ticket: the customer's words, who they are, the clocks.
        page.locator("#tickets").get_by_text("No hot water", exact=True).click()
        expect(page.locator("#t-subject")).to_have_text("No hot water")
        expect(page.locator(".msg-customer")).to_have_count(1)
        expect(page.locator("#p-name")).to_have_text("Grace Hall")
        expect(page.locator("#p-sites")).to_contain_text("Mauldeth Road")
        expect(page.locator("#p-score")).to_have_text("4.0 / 5 from 1 rating in the last 90 days")
        expect(page.locator("#p-ratings")).to_contain_text("Quick and tidy")

        # A double click on Send sends one reply.
        page.fill("#reply-body", "Is the pressure gauge below 1 bar?")
        page.dblclick("#send-reply")
        expect(page.locator(".msg-reply")).to_have_count(1)
        expect(page.locator("#reply-body")).to_have_value("")
        expect(page.locator("#t-status")).to_have_text("Open")

        # Someone else changes the ticket: the note is refused, the text stays, reload then send.
        _bump(app, ids["main"])
        page.fill("#reply-body", "Vaillant ecoTEC, 2014")
        page.click("#send-note")
        expect(page.locator("#stale")).to_be_visible()
        expect(page.locator("#reply-body")).to_have_value("Vaillant ecoTEC, 2014")
        expect(page.locator(".msg-note")).to_have_count(0)
        page.screenshot(path=str(artifacts / "desk-2-stale.png"), full_page=True)
        page.click("#reload")
        expect(page.locator("#stale")).to_be_hidden()
        expect(page.locator("#t-priority")).to_have_text("High")
        expect(page.locator("#reply-body")).to_have_value("Vaillant ecoTEC, 2014")
        page.click("#send-note")
        expect(page.locator(".msg-note")).to_have_count(1)
        expect(page.locator(".msg-note")).to_contain_text("Vaillant ecoTEC, 2014")

        # Transfer to the second line; my team takes it back; then escalate to the next tier.
        expect(page.locator("#act-take-back")).to_be_hidden()  # nothing to take back yet
        page.click("#act-transfer summary")
        page.select_option("#transfer-team", label="Second line")
        page.fill("#transfer-reason", "needs a gas engineer")
        page.click("#act-transfer button[type=submit]")
        expect(page.locator("#t-team")).to_have_text("Second line")
        _settle(app)  # the new team's assignment runs in the background and changes the ticket too
        page.reload()
        expect(page.locator("#t-team")).to_have_text("Second line")
        page.click("#act-take-back summary")
        expect(page.locator("#take-back-to")).to_have_text("Back to First line, and to you.")
        page.fill("#take-back-reason", "the customer called again: the pressure is fine")
        page.click("#act-take-back button[type=submit]")
        expect(page.locator("#t-team")).to_have_text("First line")
        expect(page.locator("#t-assignee")).to_have_text("Agent")
        expect(page.locator("#ticket-message")).to_contain_text("Taken back")
        page.click("#act-escalate summary")
        page.fill("#escalate-reason", "the part is under warranty")
        page.click("#act-escalate button[type=submit]")
        expect(page.locator("#t-team")).to_have_text("Second line")
        page.screenshot(path=str(artifacts / "desk-3-ticket.png"), full_page=True)

        # The duplicate is merged into the first ticket.
        page.goto(f"{live_server}/desk#t/{ids['dup']}")
        expect(page.locator("#t-subject")).to_have_text("Still no hot water")
        page.click("#act-merge summary")
        page.fill("#merge-into", ids["main_number"])
        page.click("#act-merge button[type=submit]")
        expect(page.locator("#t-status")).to_have_text("Closed")
        expect(page.locator("#ticket-message")).to_contain_text("Merged")

        # On a phone the ticket fills the screen, with a way back to the list.
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server}/desk#t/{ids['main']}")
        expect(page.locator(".msg-note")).to_have_count(1)
        expect(page.locator("#back")).to_be_visible()
        page.screenshot(path=str(artifacts / "desk-4-phone.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    # The same desk in Chinese.
    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = zh.new_page()
    try:
        page.goto(f"{live_server}/desk")
        page.fill("#email", "agent@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.goto(f"{live_server}/desk#t/{ids['main']}")
        expect(page.locator(".msg-note")).to_have_count(1)
        expect(page.locator("#send-reply")).to_have_text("发送回复")
        expect(page.locator("#t-status")).not_to_have_text("Open")
        expect(page.locator("#p-name")).to_have_text("Grace Hall")
        expect(page.locator("#p-score")).to_have_text("最近 90 天 1 次评分，平均 4.0 / 5")  # noqa: RUF001 - Chinese punctuation
        expect(page.locator("#p-ratings")).to_contain_text("上门服务")
        page.screenshot(path=str(artifacts / "desk-5-phone-zh.png"), full_page=True)
    finally:
        zh.close()


QUOTED_REPLY = (
    b"From: Grace Hall <grace@example.com>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Radiator in the hall\r\n"
    b"Message-ID: <hall-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"The radiator in the hall is cold again.\r\n"
    b"\r\n"
    b"On Mon, 30 Nov 2026 at 09:12, Acme Service <support@example.com> wrote:\r\n"
    b"> Please bleed the radiator and tell us if it helps.\r\n"
)


def test_an_emailed_message_shows_its_new_part_and_the_whole_email_one_click_away(
    app, live_server, browser, artifacts
):
    from dispatch.attachments.storage import LocalBlobStore
    from dispatch.mail import fetch

    committed(app, lambda session: build_desk(session, build_world(session, app), agents=1))
    settings = app.config["DISPATCH"]
    store = LocalBlobStore(settings.attachments_folder)
    sessions = app.extensions["dispatch.db"].sessions
    outcome = fetch.store_one(
        sessions, store, settings, mailbox="INBOX", uidvalidity=1, uid=1, raw=QUOTED_REPLY
    )
    assert outcome.value == "new_ticket", outcome
    with sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/desk")
        page.fill("#email", "agent@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.goto(f"{live_server}/desk#t/{ticket_id}")
        message = page.locator(".msg-customer")
        expect(message.locator(".msg-body")).to_have_text("The radiator in the hall is cold again.")
        expect(message).not_to_contain_text("bleed the radiator")
        message.locator(".msg-full summary").click()
        expect(message.locator(".msg-full pre")).to_contain_text("> Please bleed the radiator")
        page.screenshot(path=str(artifacts / "desk-6-whole-email.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()
    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = zh.new_page()
    try:
        page.goto(f"{live_server}/desk")
        page.fill("#email", "agent@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.goto(f"{live_server}/desk#t/{ticket_id}")
        page.locator(".msg-full summary", has_text="显示完整邮件").click()
        expect(page.locator(".msg-full pre")).to_contain_text("wrote:")
        page.screenshot(path=str(artifacts / "desk-7-whole-email-phone-zh.png"), full_page=True)
    finally:
        zh.close()


STRANGER = (
    b"From: G Hall <g.hall@home.example>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Boiler noise\r\n"
    b"Message-ID: <noise-1@home.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Writing from my home address: the boiler bangs at night.\r\n"
)


def test_an_agent_links_an_unknown_sender_to_the_customer_they_really_are(
    app, live_server, browser, artifacts
):
    from dispatch.attachments.storage import LocalBlobStore
    from dispatch.mail import fetch

    committed(app, lambda session: build_desk(session, build_world(session, app), agents=1))
    settings = app.config["DISPATCH"]
    sessions = app.extensions["dispatch.db"].sessions
    outcome = fetch.store_one(
        sessions,
        LocalBlobStore(settings.attachments_folder),
        settings,
        mailbox="INBOX",
        uidvalidity=1,
        uid=1,
        raw=STRANGER,
    )
    assert outcome.value == "new_ticket", outcome
    with sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    ctx = browser.new_context(viewport=PHONE, locale="en-GB")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/desk")
        page.fill("#email", "agent@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.goto(f"{live_server}/desk#t/{ticket_id}")
        review = page.locator("#p-review")
        expect(review).to_be_visible()
        expect(page.locator("#p-review-who")).to_contain_text("g.hall@home.example")
        page.fill("#p-review-q", "Grace")
        page.click("#p-review-find button[type=submit]")
        found = page.locator("#p-review-found li")
        expect(found).to_have_count(1)
        expect(found).to_contain_text("Grace Hall")
        page.screenshot(path=str(artifacts / "desk-8-new-sender-phone.png"), full_page=True)
        found.get_by_role("button", name="This is them").click()
        expect(page.locator("#ticket-message")).to_have_text(
            "Linked to Grace Hall: the ticket is theirs now."
        )
        expect(page.locator("#p-name")).to_have_text("Grace Hall")
        expect(review).to_be_hidden()
        expect(page.locator("#p-contacts")).to_contain_text("g.hall@home.example")
        assert not blocked, blocked
    finally:
        ctx.close()
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.customer.name == "Grace Hall"
