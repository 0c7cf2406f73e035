# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""The help centre on a phone: search as you type (English and Chinese), open an article at the right
section, answer "did this answer your question?"; on the contact form a suggested article answers the
question and the customer does not send it (counted as self-service)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.kb import categories
from dispatch.kb import service as kb
from dispatch.kb.models import Article, SelfService, SelfServiceSource, Visibility
from tests.booking_world import committed
from tests.e2e.csp import watch_csp

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _articles(app: Any) -> dict[str, int]:
    def fill(session: Any) -> dict[str, int]:
        cooling = categories.create(session, actor=SYSTEM, name="空调与制冷", description="Air conditioning")
        heating = categories.create(session, actor=SYSTEM, name="Heating")
        made = {}
        for name, title, body, category, visibility in (
            (
                "aircon",
                "空调漏水怎么办",
                "空调室内机漏水，多半是排水管堵了。\n\n## 清理排水管\n\n关掉电源，用软管把排水管里的脏东西吹出来。"
                "\n\n## 还是漏水\n\n请联系我们预约师傅上门。",
                cooling.id,
                Visibility.PUBLIC,
            ),
            (
                "boiler",
                "Boiler pressure is low",
                "If the gauge shows less than 1 bar, top it up.\n\n## Top up with the filling loop\n\n"
                "Open both valves slowly until the gauge reads **1.5 bar**, then close them.",
                heating.id,
                Visibility.PUBLIC,
            ),
            ("internal", "空调 refund rules", "Internal only.", cooling.id, Visibility.INTERNAL),
        ):
            article = kb.create(
                session,
                actor=SYSTEM,
                draft=kb.Draft(title=title, body=body, category_id=category, visibility=visibility),
            )
            kb.publish(session, actor=SYSTEM, article_id=article.id)
            made[name] = article.id
        for n in range(9):  # with the boiler article, more than the front page shows of a category
            tip = kb.create(
                session,
                actor=SYSTEM,
                draft=kb.Draft(title=f"Radiator tip {n}", body="Bleed it.", category_id=heating.id),
            )
            kb.publish(session, actor=SYSTEM, article_id=tip.id)
        return made

    return committed(app, fill)


def test_a_visitor_finds_an_article_as_they_type_and_says_it_helped(app, live_server, browser, artifacts):
    ids = _articles(app)
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/help")
        expect(page.locator("h1")).to_have_text("How can we help?")
        expect(page.locator(".help-categories")).to_contain_text("空调与制冷")
        page.screenshot(path=str(artifacts / "help-1-home-phone.png"), full_page=True)

        heating = page.locator("details[open]", has_text="Heating")  # the first category opens by itself
        expect(heating.locator("ul li")).to_have_count(8)  # the newest eight, and a link to all of them
        heating.get_by_role("link", name="All 10 articles in Heating").click()
        expect(page.locator("h1")).to_have_text("Heating")
        expect(page.locator(".card ul li")).to_have_count(10)
        expect(page.locator(".card ul")).to_contain_text("Boiler pressure is low")
        page.screenshot(path=str(artifacts / "help-1b-category-phone.png"), full_page=True)
        page.go_back()
        expect(page.locator("h1")).to_have_text("How can we help?")

        page.locator("#help-q").press_sequentially("boil", delay=40)
        page.wait_for_function("() => document.body.dataset.searched === 'boil'")
        expect(page.locator("#help-results-list li")).to_have_count(1)
        expect(page.locator("#help-results-list")).to_contain_text("Boiler pressure is low")

        page.fill("#help-q", "漏水")  # as an input method hands it over: the whole word at once
        page.wait_for_function("() => document.body.dataset.searched === '漏水'")
        expect(page.locator("#help-results-list li")).to_have_count(1)
        expect(page.locator("#help-results-list")).to_contain_text("空调漏水怎么办")
        expect(page.locator("#help-results")).not_to_contain_text("refund")
        page.screenshot(path=str(artifacts / "help-2-instant-zh-phone.png"), full_page=True)

        page.fill("#help-q", "软管")
        page.wait_for_function("() => document.body.dataset.searched === '软管'")
        expect(page.locator("#help-results-list mark").first).to_have_text("软管")
        page.click("#help-results-list a")
        page.wait_for_url(re.compile(rf".*/help/articles/{ids['aircon']}#.*"))
        expect(page.locator("h1")).to_have_text("空调漏水怎么办")
        expect(page.locator("h2#清理排水管")).to_be_visible()

        page.click("[data-helpful=true]")
        expect(page.locator("#helpful-yes")).to_be_visible()
        page.click("[data-helpful=true]")  # a second click does not count twice
        page.wait_for_function("() => document.getElementById('helpful').dataset.answered === 'yes'")
        page.screenshot(path=str(artifacts / "help-3-article-answered-phone.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    def check(session: Any) -> None:
        article = session.get(Article, ids["aircon"])
        assert (article.helpful_yes, article.helpful_no) == (1, 0)

    committed(app, check)


def test_a_suggested_article_answers_the_question_on_the_contact_form(app, live_server, browser, artifacts):
    ids = _articles(app)
    app.extensions["dispatch.limiter"].reset()
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{live_server}/contact")
        page.locator("#subject").press_sequentially("空调漏水", delay=40)
        expect(page.locator("#suggest")).to_be_visible()
        expect(page.locator("#suggest-list li")).to_have_count(1)
        expect(page.locator("#suggest-list")).to_contain_text("空调漏水怎么办")
        page.screenshot(path=str(artifacts / "help-4-contact-suggest-phone-zh.png"), full_page=True)
        page.click("[data-answered]")
        expect(page.locator("#suggest-done")).to_be_visible()
        expect(page.locator("form[data-send-once]")).to_be_hidden()
        page.screenshot(path=str(artifacts / "help-5-contact-answered-phone-zh.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    def check(session: Any) -> None:
        rows = list(session.scalars(select(SelfService)))
        assert [(r.article_id, r.source, r.ticket_id) for r in rows] == [
            (ids["aircon"], SelfServiceSource.CUSTOMER, None)
        ]

    committed(app, check)
