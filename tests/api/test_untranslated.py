"""A Chinese reader finds no English left: every HTML page the app serves, every error page and every
email template, rendered in zh-CN, show no English word outside the data itself (names, addresses and
service names stay as they were written) and a short list of brand names and codes.

The pages are found by walking the app's routes, so a new page is checked without touching this test;
a route with a URL argument this test cannot fill fails until it is told how.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from jinja2 import meta
from sqlalchemy import select

from api.web import errors as web_errors
from dispatch.booking import tracking
from dispatch.kb import categories
from dispatch.kb import service as kb
from dispatch.notifications import rendering
from dispatch.orders.models import Order
from tests.desk_factories import open_ticket
from tests.factories import PASSWORD, tomorrow_at
from tests.untranslated import english_left, shown_as_written, visible_text

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

NOT_PAGES = {
    "customer.image": "a photo or signature",
    "portal.image": "a photo of a ticket",
    "i18n.catalog": "the browser's catalog (JSON)",
    "i18n.switch": "a redirect that sets the language",
    "pwa_file": "the engineers' app's files",
}
"""GET routes whose answer is not a page (static files are left out by their endpoint's name)."""

ELSEWHERE = {
    "/api/": "the API answers JSON (its messages are tested in test_i18n_api.py); its docs are Swagger UI's",
    "/app": "the engineers' app is translated and checked in the browser with its own screens",
}
"""Route prefixes whose text is checked elsewhere."""

SAMPLE = "示例"


@pytest.fixture
def pages_world(app: Any, world: Any) -> Any:
    """The shared world, plus a ticket and a tracking link for each of the customer's visits."""
    session = app.extensions["dispatch.db"].sessions()
    try:
        world.ids["ticket"] = open_ticket(session, world.ids["c1"]).id
        article = kb.create(
            session,
            actor=world.actors["agent"],
            draft=kb.Draft(title="热水器漏水怎么办", body="## 先关水阀\n\n关闭进水阀再联系我们。"),
        )
        world.ids["article"] = kb.publish(session, actor=world.actors["agent"], article_id=article.id).id
        heaters = categories.create(session, actor=world.actors["agent"], name="热水器")
        world.ids["category"] = heaters.id
        for n in range(30):  # more than the front page shows and than one page of the category holds
            more = kb.create(
                session,
                actor=world.actors["agent"],
                draft=kb.Draft(title=f"热水器问题{n}", body="请联系我们。", category_id=heaters.id),
            )
            kb.publish(session, actor=world.actors["agent"], article_id=more.id)
        mine = session.scalars(select(Order).where(Order.customer_id == world.ids["c1"])).all()
        world.orders = [order.id for order in mine]
        world.tokens = [
            tracking.link_for(session, actor=world.actors["customer"], order_id=order.id).token
            for order in mine
        ]
        session.commit()
        world.data = shown_as_written(session, app)
    finally:
        session.close()
    return world


def _arguments(w: Any) -> dict[str, list[Any]]:
    return {
        "order_id": w.orders,
        "ticket_id": [w.ids["ticket"]],
        "token": w.tokens,
        "article_id": [w.ids["article"]],
        "category_id": [w.ids["category"]],
    }


def _extra_queries(w: Any) -> dict[str, list[dict[str, Any]]]:
    """Variants of a page that show more of it (a search with results, the note after a change)."""
    day = tomorrow_at(12).date().isoformat()
    return {
        "customer.book": [
            {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], "day": day},
            {"service_type_id": w.ids["boiler-service"], "address": "Nowhere at all", "day": day},
        ],
        "customer.booking_page": [{"booked": "1", "message": "Your visit has moved."}],
        "help_pages.home": [{"q": "漏水"}, {"q": "nothing matches this"}],
        "help_pages.category": [{"page": 2}],
    }


def html_urls(app: Any, w: Any) -> Iterator[str]:
    """Every GET page of the app, each URL argument filled with each value the world has for it."""
    arguments, extra = _arguments(w), _extra_queries(w)
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in (rule.methods or ())
            or rule.endpoint in NOT_PAGES
            or rule.endpoint.endswith("static")
        ):
            continue
        if any(rule.rule.startswith(prefix) for prefix in ELSEWHERE):
            continue
        missing = [name for name in rule.arguments if name not in arguments]
        assert not missing, f"{rule.rule}: tell this test how to build {missing} (or why it is no page)"
        names = sorted(rule.arguments)
        combos: list[dict[str, Any]] = [{}]
        for name in names:
            combos = [{**combo, name: value} for combo in combos for value in arguments[name]]
        with app.test_request_context():
            from flask import url_for

            for combo in combos:
                yield url_for(rule.endpoint, **combo)
                for query in extra.get(rule.endpoint, []):
                    yield url_for(rule.endpoint, **combo, **query)


def _check_pages(client: Any, urls: Iterable[str], data: set[str]) -> dict[str, list[str]]:
    left: dict[str, list[str]] = {}
    for url in urls:
        response = client.get(url, headers=ZH)
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            response.close()
            continue  # not a page, or a redirect (its body is never shown)
        assert response.status_code < 500, url
        words = english_left(visible_text(response.get_data(as_text=True)), data)
        if words:
            left[f"{url} ({response.status_code})"] = sorted(set(words))
    return left


def test_every_page_is_chinese_for_a_chinese_reader(app, client, pages_world):
    urls = sorted(set(html_urls(app, pages_world)))
    assert {"/book", "/console", "/my/bookings", "/desk", "/contact", "/help"} <= set(urls)
    anonymous = _check_pages(client, [*urls, "/no-such-page"], pages_world.data)
    logged_in = client.post("/account/login", data={"email": "customer@example.com", "password": PASSWORD})
    assert logged_in.status_code == 302
    customer = _check_pages(client, urls, pages_world.data)
    assert anonymous == {}
    assert customer == {}


def test_every_error_page_is_chinese(app, pages_world):
    statuses = [*web_errors.PAGES, 500, 503]
    for status in statuses:
        with app.test_request_context("/book", headers=ZH):
            html, code = web_errors.error_page(status)
        assert code == status
        assert english_left(visible_text(html), pages_world.data) == [], status


# --- Emails --------------------------------------------------------------------------------------


def _sample(name: str) -> Any:
    """A value for a template variable: a time for ``*_at``, a zone, a label's code, else Chinese text."""
    if name.endswith(("_at", "eta")):
        return tomorrow_at(10).isoformat()
    samples: dict[str, Any] = {
        "time_zone": "Asia/Shanghai",
        "clock": "first_response",
        "priority": "high",
        "reply_marker": True,
        "links": defaultdict(lambda: "https://dispatch.example/link"),
    }
    return samples.get(name, SAMPLE)


def _events() -> list[str]:
    return sorted(p.name.removesuffix(".subject.txt") for p in rendering.TEMPLATES.glob("*.subject.txt"))


def _context(event: str) -> dict[str, Any]:
    env = rendering.environment("zh_Hans")
    names: set[str] = set()
    for name in (f"{event}.subject.txt", f"{event}.txt", f"{event}.html", "_layout.html"):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        names |= meta.find_undeclared_variables(env.parse(source))
    return {name: _sample(name) for name in names - {"_", "gettext", "ngettext", "html_lang"}}


def test_there_are_email_templates_to_check():
    assert {"booking.confirmed", "order.en_route", "ticket.replied", "sla.breached"} <= set(_events())


@pytest.mark.parametrize("event", _events())
def test_every_email_is_chinese_for_a_chinese_reader(event):
    email = rendering.render(event, locale="zh_Hans", context=_context(event))
    for part, text in (("subject", email.subject), ("text", email.text), ("html", visible_text(email.html))):
        assert re.search(r"[\u4e00-\u9fff]", text), (event, part)
        assert english_left(text, {SAMPLE}) == [], (event, part, text)
