# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""The survey link on a phone, in Chinese: rate 2 with a comment, a double tap sends one answer, the
link then shows the thanks (and a team lead has a review ticket); the same page on a desktop in English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.orders import actions
from dispatch.surveys.models import Survey
from dispatch.tickets.models import Ticket
from tests.booking_world import committed
from tests.e2e.csp import watch_csp

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    yield
    app.extensions["dispatch.db"].engine.dispose()


def test_a_customer_rates_a_visit_once_from_the_link(app, world, live_server, browser, artifacts):
    def complete(session: Any) -> str:
        actions.field_action(
            session, actor=SYSTEM, order_id=world.ids["o_site"], expected_version=None, action="complete"
        )
        survey = session.scalar(select(Survey).where(Survey.order_id == world.ids["o_site"]))
        return survey.token

    token = committed(app, complete)
    app.extensions["dispatch.queue"].wait_idle()
    link = f"{live_server}/survey/{token}"

    desk = browser.new_context(viewport=DESKTOP, locale="en-GB")
    desk.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    page = desk.new_page()
    try:
        page.goto(link)
        expect(page.locator("h1")).to_have_text("How was your visit?")
        expect(page.locator(".score")).to_have_count(5)
        page.screenshot(path=str(artifacts / "survey-1-ask-desktop-en.png"), full_page=True)
    finally:
        desk.close()

    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(link)
        expect(page.locator("h1")).to_have_text("您对这次上门服务满意吗？")
        page.locator(".score").nth(1).tap()
        page.fill("#comment", "师傅迟到了两个小时。")
        page.screenshot(path=str(artifacts / "survey-2-ask-phone-zh.png"), full_page=True)
        page.locator("button[type=submit]").dblclick()
        expect(page.locator("h1")).to_have_text("感谢您的评分")
        expect(page.locator("#answered")).to_contain_text("2 分")
        page.screenshot(path=str(artifacts / "survey-3-thanks-phone-zh.png"), full_page=True)
        page.goto(link)  # the link again: the thanks, not the question
        expect(page.locator("#survey")).to_have_count(0)
        assert not blocked, blocked
    finally:
        ctx.close()

    def check(session: Any) -> None:
        rows = list(session.scalars(select(Survey)))
        assert [(r.score, r.comment) for r in rows] == [(2, "师傅迟到了两个小时。")]
        review = session.get(Ticket, rows[0].review_ticket_id)
        assert review is not None
        assert world.ids["o_site"] in review.order_ids

    committed(app, check)
