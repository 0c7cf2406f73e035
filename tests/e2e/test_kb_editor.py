# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""A writer at /desk/kb: filters the articles, writes a new one (category from the tree, tags,
review date, Markdown), previews it as the help centre renders it, saves it, publishes it with a
double click (published once) and finds it on /help; a colleague's change meanwhile makes the next
save stale, which the screen says plainly while keeping what was typed; the version history. Then
the same screen in Chinese on a phone."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from dispatch.access import SYSTEM
from dispatch.kb import categories
from dispatch.kb import service as kb
from dispatch.kb.models import Article, ArticleVersion
from tests.booking_world import committed
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCAL = re.compile(r"^(?!http://127\.0\.0\.1).*")
BODY = (
    "If the display shows F28 the boiler did not light.\n\n"
    "## Reset the boiler\n\nPress **reset** for 5 seconds. <script>alert(1)</script>\n\n"
    "## Still F28\n\n- check the gas tap\n- call us"
)


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after the test."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _world(app: Any) -> dict[str, int]:
    """The demo users, a category tree (Heating, Boilers under it) and one published article."""

    def fill(session: Any) -> dict[str, int]:
        build_world(session, app)
        heating = categories.create(session, actor=SYSTEM, name="Heating")
        categories.create(session, actor=SYSTEM, name="Boilers", parent_id=heating.id)
        old = kb.create(
            session,
            actor=SYSTEM,
            draft=kb.Draft(
                title="Bleed a radiator",
                body="Open the valve.",
                category_id=heating.id,
                review_on=date(2026, 1, 5),
            ),
        )
        kb.publish(session, actor=SYSTEM, article_id=old.id)
        return {"old": old.id}

    return committed(app, fill)  # type: ignore[no-any-return]


def _login(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/desk")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).not_to_be_empty()


def _someone_else_edits(app: Any, title: str) -> None:
    def edit(session: Any) -> None:
        article_id = session.scalar(select(ArticleVersion.article_id).where(ArticleVersion.title == title))
        kb.update(session, actor=SYSTEM, article_id=article_id, draft=kb.Draft(body="A colleague's words."))

    committed(app, edit)


def _article(app: Any, title: str) -> tuple[Article, list[tuple[int, bool, str]]]:
    def read(session: Any) -> tuple[Article, list[tuple[int, bool, str]]]:
        versions = session.scalars(
            select(ArticleVersion).where(ArticleVersion.title == title).order_by(ArticleVersion.number)
        ).all()
        article = session.get(Article, versions[0].article_id)
        return article, [(v.number, v.published_at is not None, v.body) for v in versions]

    return committed(app, read)  # type: ignore[no-any-return]


def test_a_writer_writes_previews_publishes_and_is_told_of_a_stale_copy(app, live_server, browser, artifacts):
    _world(app)
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    ctx.route(LOCAL, lambda route: route.abort())
    blocked = watch_csp(ctx)
    page = ctx.new_page()
    publishes: list[str] = []
    page.on("request", lambda r: publishes.append(r.url) if r.url.endswith("/publish") else None)
    title = "Boiler shows F28"
    try:
        _login(page, live_server)
        page.click("#kb-editor")
        expect(page.locator("h1")).to_have_text("Knowledge base articles")
        old = page.locator("#articles li", has_text="Bleed a radiator")
        expect(old).to_contain_text("Published")
        expect(old).to_contain_text("Heating")
        expect(old.locator(".overdue")).to_contain_text("check due")

        page.click("#new-article")
        page.fill("#title", title)
        page.select_option("#category", label="Heating › Boilers")
        page.fill("#review-on", "2027-06-01")
        page.fill("#tags", "boiler, F28, Ignition")
        page.fill("#body", BODY)
        page.click("#tab-preview")
        preview = page.locator("#preview")
        expect(preview.locator("h2#reset-the-boiler")).to_have_text("Reset the boiler")
        expect(preview.locator("strong")).to_have_text("reset")
        expect(preview.locator("li")).to_have_count(2)
        assert preview.locator("script").count() == 0
        page.screenshot(path=str(artifacts / "kb-editor-1-preview-desktop-en.png"), full_page=True)

        page.click("#save")
        expect(page.locator("#saved")).to_have_text("Draft saved.")
        expect(page.locator("#editor-facts")).to_contain_text("Draft")
        mine = page.locator("#articles li", has_text=title)
        expect(mine).to_contain_text("Draft")
        expect(mine).to_contain_text("Heating › Boilers")

        page.locator("#publish").dblclick()
        expect(page.locator("#saved")).to_have_text("Published: readers see this version now.")
        expect(mine).to_contain_text("Published")
        assert len(publishes) == 1, publishes
        article, versions = _article(app, title)
        assert versions == [(1, True, BODY)]
        assert article.review_on == date(2027, 6, 1)

        live = page.locator("#view-live").get_attribute("href")
        reader = ctx.new_page()
        reader.goto(f"{live_server}/help")
        expect(reader.locator("body")).to_contain_text(title)
        reader.goto(f"{live_server}{live}")
        expect(reader.locator("h1")).to_have_text(title)
        expect(reader.locator("h2#reset-the-boiler")).to_be_visible()
        reader.close()

        # A colleague saves a change while the writer is still editing their copy.
        _someone_else_edits(app, title)
        page.click("#tab-write")
        page.fill("#body", BODY + "\n\nMy addition.")
        page.click("#save")
        expect(page.locator("#stale")).to_be_visible()
        expect(page.locator("#stale-message")).to_contain_text(
            f"Someone else changed the article “{title}” since you opened it"
        )
        expect(page.locator("#body")).to_have_value(BODY + "\n\nMy addition.")
        page.screenshot(path=str(artifacts / "kb-editor-2-stale-desktop-en.png"), full_page=True)
        page.click("#stale-compare")
        expect(page.locator("#theirs-body")).to_have_text("A colleague's words.")
        expect(page.locator("#body")).to_have_value(BODY + "\n\nMy addition.")
        page.click("#save")
        expect(page.locator("#saved")).to_have_text("Draft saved.")
        expect(page.locator("#editor-facts")).to_contain_text("Published, with a newer draft")
        assert _article(app, title)[1][-1] == (2, False, BODY + "\n\nMy addition.")

        page.locator("#history > summary").click()
        expect(page.locator("#versions")).to_be_visible()
        expect(page.locator("#versions > li")).to_have_count(2)
        expect(page.locator("#versions > li").nth(1)).to_contain_text("readers see this one")

        page.fill("#filter-title", "f28")
        expect(page.locator("#articles li")).to_have_count(1)
        page.select_option("#filter-status", "changed")
        expect(page.locator("#list-count")).to_have_text("1 article")
        page.select_option("#filter-status", "draft")
        expect(page.locator("#list-count")).to_have_text("No article matches.")
        page.fill("#filter-title", "")
        page.select_option("#filter-status", "")
        expect(page.locator("#articles li")).to_have_count(2)
        page.screenshot(path=str(artifacts / "kb-editor-3-history-desktop-en.png"), full_page=True)

        page.set_viewport_size(PHONE)
        page.screenshot(path=str(artifacts / "kb-editor-4-editor-phone-en.png"), full_page=True)
        page.click(".kb-editor .back a")
        expect(page.locator(".kb-list")).to_be_visible()
        page.screenshot(path=str(artifacts / "kb-editor-5-list-phone-en.png"), full_page=True)
        assert not blocked, blocked
    finally:
        ctx.close()

    def count(session: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Article)))

    assert committed(app, count) == 2

    zh = browser.new_context(viewport=PHONE, locale="zh-CN")
    zh.route(LOCAL, lambda route: route.abort())
    page = zh.new_page()
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/desk/kb")
        expect(page.locator("h1")).to_have_text("知识库文章")
        page.screenshot(path=str(artifacts / "kb-editor-6-list-phone-zh.png"), full_page=True)
        page.click("#new-article")
        page.fill("#title", "空调漏水怎么办")
        page.fill("#body", "## 清理排水管\n\n关掉电源，用软管清理。")
        page.click("#tab-preview")
        expect(page.locator("#preview h2")).to_have_text("清理排水管")
        page.screenshot(path=str(artifacts / "kb-editor-7-preview-phone-zh.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.click("#tab-write")
        page.screenshot(path=str(artifacts / "kb-editor-8-editor-desktop-zh.png"), full_page=True)
    finally:
        zh.close()
