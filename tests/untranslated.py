"""What a reader sees of a page, and the English words left in it (for the tests of translated screens)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import String, Text, select

from dispatch.booking import tracking
from dispatch.db import Base
from dispatch.engineers.models import Engineer
from dispatch.orders.models import Order

ALLOWED = (
    "English",  # the language switch names each language in its own words
    "POST /api/v1/auth/login",
    "Authorization: Bearer <token>",
    "OpenAPI",
    "API",
    "SLA",
    "OLA",
    "VIP",
    "CSV",
)
"""Brand names and codes that are the same in every language."""


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text outside scripts and styles, and the attributes shown."""

    SHOWN = ("alt", "title", "placeholder", "aria-label", "data-confirm", "label")
    HIDDEN = ("script", "style", "template")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        values = dict(attrs)
        self.parts.extend(value for name, value in attrs if name in self.SHOWN and value)
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's visible text, one part a line."""
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def english_left(text: str, data: Iterable[str] = ()) -> list[str]:
    """The English words of ``text`` once data, links, addresses and allowed codes are taken out."""
    for value in sorted({*data, *ALLOWED}, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    text = re.sub(r"(https?://|/)\S+|\S+@\S+", " ", text)
    return re.findall(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]", text)


def shown_as_written(session: Any, app: Any) -> set[str]:
    """What pages show as it was written, in any language: every text value in the database (names,
    addresses, service names), order numbers, engineers' first names, and the company's settings."""
    values: set[str] = set()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if columns:
            for row in session.execute(select(*columns)):
                values.update(str(value) for value in row if value)
    values |= {order.number for order in session.scalars(select(Order))}
    values |= {tracking.first_name(name) for name in session.scalars(select(Engineer.name))}
    settings = app.config["DISPATCH"]
    values |= {settings.company_name, settings.company_phone or "", settings.default_time_zone}
    return values - {""}
