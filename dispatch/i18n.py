"""Every user-facing string goes through here: gettext catalogs, English and Simplified Chinese.

The catalogs live in ``dispatch/translations/<locale>/LC_MESSAGES/messages.po`` (``make
translations`` extracts, updates and compiles them). Domain code marks text with :func:`_`, which
returns a :class:`LazyText`: it is translated when it is shown, in the locale of whoever reads it
(the web layer tells us the request's locale through :func:`set_locale_resolver`; the worker picks
the recipient's with :func:`use_locale`). Placeholders are named, ``%(order)s``, so translators can
move them; error codes and field names never go through here.

No Flask: the worker, the CLI and the API share this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

CATALOG_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LOCALE = "en"
"""The language the code is written in: it needs no catalog."""

LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}
"""How each language names itself, for the language switch (never translated); others: see :func:`language_name`."""

_locale: ContextVar[str | None] = ContextVar("dispatch_locale", default=None)
_resolver: list[Callable[[], str | None]] = []


def available_locales() -> tuple[str, ...]:
    """The source language and every language that has a catalog, e.g. ``("en", "zh_Hans")``."""
    found = sorted(p.name for p in CATALOG_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return (SOURCE_LOCALE, *[name for name in found if name != SOURCE_LOCALE])


def language_name(locale: str) -> str:
    """How a language names itself (a new catalog needs no entry in :data:`LANGUAGE_NAMES`: CLDR knows)."""
    if locale in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[locale]
    try:
        return Locale.parse(locale).get_display_name(locale) or locale
    except (UnknownLocaleError, ValueError):
        return locale


def normalize(tag: str | None) -> str | None:
    """The available locale a language tag means (``zh-CN``, ``zh_Hans``, ``zh`` -> ``zh_Hans``), or None."""
    if not tag:
        return None
    cleaned = tag.strip().replace("-", "_")
    if not cleaned or len(cleaned) > 35 or not re.fullmatch(r"[A-Za-z0-9_]+", cleaned):
        return None
    try:
        wanted = Locale.parse(cleaned)
    except (UnknownLocaleError, ValueError):
        return None
    available = available_locales()
    exact = str(wanted)
    if exact in available:
        return exact
    same_language = [name for name in available if Locale.parse(name).language == wanted.language]
    if not same_language:
        return None
    # zh_Hans_CN, zh_CN and zh_SG read the Simplified catalog; a Traditional reader still reads
    # Chinese better than English, so they get it too until a zh_Hant catalog exists.
    for name in same_language:
        if Locale.parse(name).script == (wanted.script or _likely_script(wanted)):
            return name
    return same_language[0]


def _likely_script(locale: Locale) -> str | None:
    try:
        return Locale.parse(f"{locale.language}_{locale.territory}").script if locale.territory else None
    except (UnknownLocaleError, ValueError):
        return None


def negotiate(preferred: Iterable[str], default: str = SOURCE_LOCALE) -> str:
    """The first of the preferred tags (best first) that an available locale serves, else ``default``."""
    for tag in preferred:
        found = normalize(tag)
        if found:
            return found
    return default


def html_lang(locale: str) -> str:
    """The BCP 47 tag for ``<html lang>`` and ``Intl``: ``zh_Hans`` -> ``zh-Hans``."""
    return locale.replace("_", "-")


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (the source language and unknown ones translate to themselves)."""
    if locale == SOURCE_LOCALE or locale not in available_locales():
        return NullTranslations()
    return Translations.load(str(CATALOG_DIR), [locale], DOMAIN)


def set_locale_resolver(resolver: Callable[[], str | None]) -> None:
    """Tell this module how to find the locale of the current request (the web layer calls this once)."""
    _resolver[:] = [resolver]


def current_locale() -> str:
    """The locale text is shown in now: :func:`use_locale`'s, else the request's, else the source language."""
    chosen = _locale.get()
    if chosen:
        return chosen
    for resolve in _resolver:
        found = resolve()
        if found:
            return found
    return SOURCE_LOCALE


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Show text in ``locale`` (normalised; unknown -> source language) for the length of the block."""
    chosen = normalize(locale) or SOURCE_LOCALE
    token = _locale.set(chosen)
    try:
        yield chosen
    finally:
        _locale.reset(token)


def _format(text: str, params: dict[str, Any]) -> str:
    if not params:
        return text
    return text % {key: str(value) if isinstance(value, LazyText) else value for key, value in params.items()}


def gettext(msgid: str, **params: Any) -> str:
    """``msgid`` translated into the current locale, with its named placeholders filled in."""
    return _format(translations(current_locale()).gettext(msgid), params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """The singular or plural form for ``n`` (``%(num)s`` is ``n``), translated and filled in."""
    params.setdefault("num", n)
    return _format(translations(current_locale()).ngettext(singular, plural, n), params)


class LazyText:
    """Text translated when it is shown, in the locale of whoever reads it then."""

    __slots__ = ("msgid", "n", "params", "plural")

    def __init__(self, msgid: str, params: dict[str, Any], plural: str | None = None, n: int = 1) -> None:
        self.msgid = msgid
        self.params = params
        self.plural = plural
        self.n = n

    def __str__(self) -> str:
        if self.plural is not None:
            return ngettext(self.msgid, self.plural, self.n, **self.params)
        return gettext(self.msgid, **self.params)

    def source(self) -> str:
        """The text in the source language (for logs, which are read by developers)."""
        with use_locale(SOURCE_LOCALE):
            return str(self)

    def __repr__(self) -> str:
        return f"LazyText({self.source()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText | str):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.source())

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __len__(self) -> int:
        return len(str(self))


def _(msgid: str, **params: Any) -> LazyText:
    """Mark ``msgid`` for translation; it is translated when shown (``%(name)s`` placeholders)."""
    return LazyText(msgid, params)


def N_(msgid: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Mark ``msgid`` for the catalog without translating it here (it is translated where shown)."""
    return msgid


def lazy_ngettext(singular: str, plural: str, n: int, **params: Any) -> LazyText:
    """Like :func:`ngettext`, translated when shown."""
    return LazyText(singular, params, plural=plural, n=n)


def text(value: object) -> str:
    """Any message (plain or lazy) as text in the current locale."""
    return str(value)
