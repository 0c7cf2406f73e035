"""The reader's language on every page and API answer (Flask-Babel over :mod:`dispatch.i18n`'s catalogs).

The locale of a request is, in order: the logged-in user's saved language, the language chosen with
the switch on this browser (the ``lang`` cookie), the browser's ``Accept-Language``, the company
default (``DISPATCH_DEFAULT_LOCALE``). Templates get ``_``/``ngettext`` from Flask-Babel, and the
domain's lazy messages follow the same choice. The browser side (the engineers' app, the console)
fetches the same catalogs as JSON from ``/i18n/<locale>.json``.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.messages.pofile import read_po
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    send_from_directory,
)
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response as WerkzeugResponse

from dispatch import i18n
from dispatch.config import Settings

COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 86400
JS_SOURCES = (".js",)
"""Messages whose source is a browser script go to the browser's catalog."""

babel = Babel()
bp = Blueprint("i18n", __name__, url_prefix="/i18n")
STATIC = Path(__file__).resolve().parent / "static"


def init_app(app: Flask, settings: Settings) -> None:
    """Choose each request's language, share it with the domain's messages and the templates."""
    babel.init_app(
        app,
        default_locale=settings.default_locale,
        default_translation_directories=str(i18n.CATALOG_DIR),
        locale_selector=select_locale,
    )
    i18n.set_locale_resolver(_request_locale)
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or settings.default_locale),
        html_lang=lambda: i18n.html_lang(str(get_locale() or settings.default_locale)),
        languages=languages,
    )
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_when"] = local_when
    app.jinja_env.filters["local_day"] = local_day
    app.register_blueprint(bp)


def _saved_locale() -> str | None:
    """The logged-in user's saved language, if this request's token has been checked already."""
    user = g.get("_jwt_extended_jwt_user", {}).get("loaded_user") if has_request_context() else None
    return getattr(user, "locale", None) or None


def select_locale() -> str:
    """The locale of this request (see the module's docstring for the order)."""
    settings: Settings = current_app.config["DISPATCH"]
    for candidate in (_saved_locale(), request.cookies.get(COOKIE)):
        found = i18n.normalize(candidate)
        if found:
            return found
    return i18n.negotiate((tag for tag, _quality in request.accept_languages), settings.default_locale)


def _request_locale() -> str | None:
    if not has_request_context():
        return None
    locale = get_locale()
    return str(locale) if locale is not None else None


def languages() -> list[dict[str, str]]:
    """The language switch's choices: id, the language's own name, and whether it is the current one."""
    current = str(get_locale())
    return [
        {"id": locale, "name": i18n.language_name(locale), "current": str(locale == current)}
        for locale in i18n.available_locales()
    ]


# --- Formats: dates and times as the reader writes them, in the place's time zone ----------------


def _babel_locale() -> str:
    return str(get_locale() or i18n.SOURCE_LOCALE)


def local_datetime(moment: datetime | None, time_zone: str, format: str = "medium") -> str:
    """A UTC instant as the reader writes date and time, in ``time_zone`` (e.g. the site's)."""
    if moment is None:
        return ""
    return format_datetime(moment, format, tzinfo=ZoneInfo(time_zone), locale=_babel_locale())


def local_date(moment: datetime | None, time_zone: str, format: str = "medium") -> str:
    """The day of a UTC instant in ``time_zone``, as the reader writes dates."""
    if moment is None:
        return ""
    return format_date(moment.astimezone(ZoneInfo(time_zone)).date(), format, locale=_babel_locale())


def local_time(moment: datetime | None, time_zone: str, format: str = "short") -> str:
    """The time of day of a UTC instant in ``time_zone``, as the reader writes times."""
    if moment is None:
        return ""
    return format_time(moment, format, tzinfo=ZoneInfo(time_zone), locale=_babel_locale())


def local_when(moment: datetime | None, time_zone: str) -> str:
    """A UTC instant as weekday, day and 24-hour time in ``time_zone`` ("Thu, Dec 3 09:00", "12月3日周四 09:00")."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(time_zone))
    locale = _babel_locale()
    return f"{format_skeleton('MMMEd', local, locale=locale)} {format_skeleton('Hm', local, locale=locale)}"


def local_day(day: date) -> str:
    """A calendar day with its weekday, as the reader writes it ("Thursday, December 3", "12月3日星期四")."""
    return format_skeleton("MMMMEEEEd", datetime.combine(day, time(12)), locale=_babel_locale())


# --- The language switch and the browser's catalogs -------------------------------------------


def _local_target(target: str | None) -> str:
    """Only a path on this site is a place to go back to (never another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/switch/<locale>")
def switch(locale: str) -> WerkzeugResponse:
    """Show this browser the site in ``locale`` from now on, and go back where the reader was."""
    chosen = i18n.normalize(locale)
    response = redirect(
        _local_target(request.args.get("next") or (request.referrer and _path(request.referrer)))
    )
    if chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE_S, samesite="Lax", httponly=False)
    return response


def _path(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/locales.json")
def locales() -> Response:
    """The languages there are, with their own names, and the company default."""
    settings: Settings = current_app.config["DISPATCH"]
    response = jsonify(
        default=settings.default_locale,
        available=[
            {"id": locale, "tag": i18n.html_lang(locale), "name": i18n.language_name(locale)}
            for locale in i18n.available_locales()
        ],
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/<locale>.json")
def catalog(locale: str) -> Response:
    """The browser scripts' messages in ``locale``: ``{msgid: text}``, plurals as lists."""
    chosen = i18n.normalize(locale)
    if chosen is None:
        message = i18n.gettext(
            "There is no catalog for %(locale)s: the languages are %(known)s.",
            locale=repr(locale[:40]),
            known=", ".join(i18n.available_locales()),
        )
        response = jsonify(code=404, status="Not Found", message=message)
        response.status_code = 404
        return response
    body = {"locale": chosen, "tag": i18n.html_lang(chosen), **browser_catalog(chosen)}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/i18n.js")
def script() -> Response:
    """The browser's side of the translations (an ES module the app and the console import)."""
    response = send_from_directory(STATIC, "i18n.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@functools.cache
def browser_catalog(locale: str) -> dict[str, Any]:
    """The catalog entries used by browser scripts, read from the locale's ``.po`` file."""
    if locale == i18n.SOURCE_LOCALE:
        return {"nplurals": 2, "messages": {}}
    path = i18n.CATALOG_DIR / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    messages: dict[str, Any] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        if not any(filename.endswith(JS_SOURCES) for filename, _line in message.locations):
            continue
        if isinstance(message.id, tuple | list):
            forms = [form for form in (message.string or ()) if form]
            if forms:
                messages[message.id[0]] = forms
        elif message.string:
            messages[message.id] = message.string
    return {"nplurals": po.num_plurals, "messages": messages}
