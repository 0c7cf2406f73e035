"""A customer opens a ticket with a photo on a phone, the desk answers, the customer sees it and
answers back; someone without an account writes through the contact form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.tickets import conversation
from dispatch.tickets.models import MessageKind, Ticket, TicketChannel
from dispatch.users import service as users
from dispatch.users.models import User
from tests.booking_world import committed
from tests.desk_factories import build_desk
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world
from tests.images import jpeg_bytes

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _world(app: Any) -> None:
    def fill(session: Any) -> None:
        world = build_world(session, app)
        build_desk(session, world, agents=1)

    committed(app, fill)


def _agent_replies(app: Any, ticket_id: int, text: str) -> None:
    def fill(session: Any) -> None:
        agent = session.scalar(select(User).where(User.email == "agent@example.com"))
        conversation.add_message(
            session,
            actor=users.actor_for(agent),
            ticket_id=ticket_id,
            kind=MessageKind.PUBLIC_REPLY,
            body=text,
        )

    committed(app, fill)


def test_a_customer_opens_a_ticket_with_a_photo_and_follows_the_answer(
    app, live_server, browser, artifacts, tmp_path
):
    _world(app)
    photo = tmp_path / "boiler.jpg"
    photo.write_bytes(jpeg_bytes(320, 240))
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/my/tickets")
        assert "/account/login" in page.url
        page.fill("#email", "customer@example.com")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/my/tickets")
        page.click("text=Ask us something or report a problem")
        page.select_option("#kind", "fault")
        page.fill("#subject", "Water under the boiler")
        page.fill("#body", "A small puddle every morning.")
        page.set_input_files("#photo", str(photo))
        page.screenshot(path=str(artifacts / "portal-1-new-phone.png"), full_page=True)
        page.dblclick("form[data-send-once] button[type=submit]")

        page.wait_for_url(re.compile(r".*/my/tickets/\d+\?opened=1"))
        reference = page.locator("#reference").inner_text()
        assert re.fullmatch(r"T-\d{6}", reference)
        expect(page.locator(".ok")).to_contain_text(reference)
        expect(page.locator("#ticket-status")).to_have_text("Received")
        photo_img = page.locator(".msg-mine img.photo")
        expect(photo_img).to_have_count(1)
        page.wait_for_function("() => document.querySelector('.msg-mine img.photo').naturalWidth === 320")
        ticket_id = int(page.url.split("/my/tickets/")[1].split("?")[0])

        # The desk answers; the customer sees it and writes back with another photo.
        _agent_replies(app, ticket_id, "Please send a photo of the pipe under the boiler.")
        page.goto(f"{live_server}/my/tickets/{ticket_id}")
        expect(page.locator(".msg-ours")).to_contain_text("photo of the pipe")
        expect(page.locator("#ticket-status")).to_have_text("Being worked on")
        page.fill("#body", "Here it is.")
        page.set_input_files("#photo", str(photo))
        page.click("#reply button[type=submit]")
        page.wait_for_url(re.compile(r".*replied=1.*"))
        expect(page.locator(".msg-mine")).to_have_count(2)
        expect(page.locator(".msg-mine").last).to_contain_text("Here it is.")
        page.screenshot(path=str(artifacts / "portal-2-ticket-phone.png"), full_page=True)

        page.set_viewport_size(DESKTOP)
        page.goto(f"{live_server}/my/tickets")
        expect(page.locator("#my-tickets li")).to_have_count(1)
        page.screenshot(path=str(artifacts / "portal-3-list-desktop.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    def check(session: Any) -> None:
        tickets = list(session.scalars(select(Ticket)))
        assert len(tickets) == 1, "a double click opened one ticket"
        assert tickets[0].channel is TicketChannel.PORTAL

    committed(app, check)


def test_the_contact_form_opens_a_ticket_and_shows_its_reference(app, live_server, browser, artifacts):
    _world(app)
    app.extensions["dispatch.limiter"].reset()
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/contact")
        expect(page.locator("h1")).to_have_text("联系我们")
        page.fill("#name", "王芳")
        page.fill("#email", "wang.fang@example.com")
        page.fill("#subject", "空调漏水")
        page.fill("#body", "客厅的空调一直在滴水。")
        page.screenshot(path=str(artifacts / "contact-1-form-phone-zh.png"), full_page=True)
        page.click("form[data-send-once] button[type=submit]")
        reference = page.locator("#reference").inner_text()
        assert re.fullmatch(r"T-\d{6}", reference)
        page.screenshot(path=str(artifacts / "contact-2-thanks-phone-zh.png"), full_page=True)
    finally:
        ctx.close()

    def check(session: Any) -> None:
        ticket = session.scalar(select(Ticket).where(Ticket.subject == "空调漏水"))
        assert ticket is not None
        assert ticket.number == reference
        assert ticket.channel is TicketChannel.WEB_FORM

    committed(app, check)

    # A bot that fills the hidden field gets a thank-you and no ticket; a flood is slowed down.
    client = app.test_client()
    form = {"name": "Bot", "email": "bot@example.com", "subject": "Cheap pills", "body": "Buy now"}
    assert client.post("/contact", data={**form, "website": "http://spam.example"}).status_code == 200
    codes = [client.post("/contact", data=form).status_code for _ in range(6)]
    assert codes.count(429) >= 2, codes
    page_429 = client.post("/contact", data=form)
    assert page_429.status_code == 429
    assert "several times" in page_429.get_data(as_text=True)

    def spam(session: Any) -> None:
        subjects = [t.subject for t in session.scalars(select(Ticket))]
        assert "Cheap pills" in subjects  # the first few from one address are taken
        assert subjects.count("Cheap pills") <= 4

    committed(app, spam)


def test_a_customer_sees_only_their_own_tickets(app, client):
    def fill(session: Any) -> dict[str, int]:
        world = build_world(session, app)
        desk = build_desk(session, world, agents=1)
        from tests.desk_factories import open_ticket

        mine = open_ticket(session, world.ids["c1"], "My boiler", team_id=desk.ids["first"])
        theirs = open_ticket(session, world.ids["c2"], "Their boiler", team_id=desk.ids["first"])
        return {"mine": mine.id, "theirs": theirs.id}

    ids = committed(app, fill)
    login = client.post("/account/login", data={"email": "customer@example.com", "password": PASSWORD})
    assert login.status_code == 302
    listing = client.get("/my/tickets").get_data(as_text=True)
    assert "My boiler" in listing
    assert "Their boiler" not in listing
    assert client.get(f"/my/tickets/{ids['mine']}").status_code == 200
    assert client.get(f"/my/tickets/{ids['theirs']}").status_code == 404
