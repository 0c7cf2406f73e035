"""Emails from templates: subject, text and HTML per event, in the recipient's language.

A plain Jinja environment per locale (no Flask: this runs in the worker) with the i18n extension
over :func:`dispatch.i18n.translations`; dates are written the way the recipient's language writes
them, in the visit's time zone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dispatch import i18n
from dispatch.i18n import N_

TEMPLATES = Path(__file__).resolve().parent / "templates"

LABELS = {
    "low": N_("low"),
    "normal": N_("normal"),
    "high": N_("high"),
    "urgent": N_("urgent"),
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
}
"""Values that appear inside sentences, translated where they are shown."""

REPLY_MARKER = N_("## Please type your reply above this line ##")
"""The line above which a customer's answer to our email goes (incoming mail is cut there)."""


@dataclass(frozen=True)
class Rendered:
    """An email's three parts."""

    subject: str
    text: str
    html: str


def _moment(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@functools.cache
def environment(locale: str) -> Environment:
    """The template environment of one language (built once per process)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]

    def when(value: str | datetime, time_zone: str) -> str:
        moment = _moment(value).astimezone(ZoneInfo(time_zone))
        day = format_skeleton("MMMMEEEEd", moment, locale=locale)
        return f"{day} {format_skeleton('Hm', moment, locale=locale)}"

    def interval(start: str | datetime, end: str | datetime, time_zone: str) -> str:
        zone = ZoneInfo(time_zone)
        a, b = _moment(start).astimezone(zone), _moment(end).astimezone(zone)
        if a.date() != b.date():
            return format_interval(a, b, skeleton="MMMMEEEEd", tzinfo=zone, locale=locale)
        day = format_skeleton("MMMMEEEEd", a, locale=locale)
        return f"{day} {format_interval(a, b, skeleton='Hm', tzinfo=zone, locale=locale)}"

    def label(value: str) -> str:
        text = LABELS.get(value)
        return i18n.translations(locale).gettext(text) if text else value

    env.filters.update(when=when, interval=interval, label=label)
    return env


def render(event: str, *, locale: str, context: dict[str, Any]) -> Rendered:
    """The email of ``event`` for one recipient, in ``locale`` (StrictUndefined: a missing value is an error)."""
    env = environment(locale)
    with i18n.use_locale(locale):
        values = {
            **context,
            "html_lang": i18n.html_lang(locale),
            "reply_marker": i18n.translations(locale).gettext(REPLY_MARKER)
            if context.get("reply_marker")
            else "",
        }
        subject = " ".join(env.get_template(f"{event}.subject.txt").render(values).split())
        text = env.get_template(f"{event}.txt").render(values).strip() + "\n"
        html = env.get_template(f"{event}.html").render({**values, "subject": subject})
    return Rendered(subject=subject, text=text, html=html)
