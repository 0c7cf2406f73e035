"""The translation mechanism: which language a tag means, lazy text, and catalogs kept complete."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from dispatch import i18n
from dispatch.errors import InvalidTransition
from dispatch.i18n import _, lazy_ngettext
from tests.conftest import repo_root


def test_language_tags_from_browsers_find_the_simplified_chinese_catalog():
    for tag in ("zh-CN", "zh_CN", "zh-Hans", "zh-Hans-CN", "zh", "ZH-cn", "zh-SG"):
        assert i18n.normalize(tag) == "zh_Hans", tag
    assert i18n.normalize("en-GB") == "en"
    assert i18n.normalize("fr-FR") is None
    for junk in ("", None, "../../etc/passwd", "zh\x00", "x" * 100, "*"):
        assert i18n.normalize(junk) is None


def test_negotiation_takes_the_first_language_we_have_else_the_default():
    assert i18n.negotiate(["fr", "zh-CN", "en"]) == "zh_Hans"
    assert i18n.negotiate(["fr", "de"], default="zh_Hans") == "zh_Hans"
    assert i18n.html_lang("zh_Hans") == "zh-Hans"


def test_lazy_text_is_translated_when_shown_in_the_readers_language():
    error = InvalidTransition("check_in", "new", "on_site", ("en_route",))
    with i18n.use_locale("zh-CN"):
        shown = str(error.message)
    assert "无法" in shown
    assert "签到" in shown
    assert "on_site" not in shown
    assert str(error.message).startswith("cannot check in at an order that is not yet planned")
    assert error.message.source() == str(error.message)


def test_plural_forms_follow_the_language():
    text = lazy_ngettext("%(num)s job", "%(num)s jobs", 3)
    assert str(text) == "3 jobs"
    assert str(lazy_ngettext("%(num)s job", "%(num)s jobs", 1)) == "1 job"


def test_an_unknown_locale_shows_the_source_text():
    with i18n.use_locale("tlh"):
        assert str(_("your account no longer exists")) == "your account no longer exists"


def _msgids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _key(msgid: Any) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _text(msgstr: Any) -> Any:
    """A translation as compared: the plural forms as a tuple whether read from .po or .mo."""
    return msgstr if isinstance(msgstr, str) else tuple(msgstr)


def test_catalogs_hold_every_string_of_the_code_translated_and_compiled(tmp_path):
    """What `make translations` would write is what is committed: no string left out or untranslated."""
    root = repo_root()
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = _msgids(read_po(handle))
    assert wanted, "extraction found no messages"
    for locale in i18n.available_locales():
        if locale == i18n.SOURCE_LOCALE:
            continue
        folder = i18n.CATALOG_DIR / locale / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as handle:
            po = read_po(handle, locale=locale)
        have = _msgids(po)
        assert wanted - have == set(), f"{locale}: not in the catalog (run `make translations`)"
        assert have - wanted == set(), f"{locale}: obsolete entries (run `make translations`)"
        fuzzy = [m.id for m in po if m.id and m.fuzzy]
        assert fuzzy == [], f"{locale}: fuzzy entries"
        missing = [
            m.id for m in po if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
        ]
        assert missing == [], f"{locale}: untranslated"
        with (folder / "messages.mo").open("rb") as handle:
            mo = read_mo(io.BytesIO(handle.read()))
        compiled = {_key(m.id): _text(m.string) for m in mo if m.id}
        written = {_key(m.id): _text(m.string) for m in po if m.id}
        assert compiled == written, (
            f"{locale}: messages.mo is older than messages.po (run `make translations`)"
        )


def test_every_translation_keeps_the_placeholders_of_its_source():
    """A translation that drops or renames ``%(name)s`` or ``{name}`` would fail, or say the wrong thing."""
    for locale in i18n.available_locales():
        if locale == i18n.SOURCE_LOCALE:
            continue
        with (i18n.CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            po = read_po(handle, locale=locale)
        problems = [(m.id, [str(e) for e in errors]) for m, errors in po.check() if errors]
        assert problems == [], locale
        for m in po:
            if not m.id or not isinstance(m.id, str):
                continue
            for pattern in (r"%\((\w+)\)s", r"\{(\w+)\}"):
                assert set(re.findall(pattern, m.id)) == set(re.findall(pattern, m.string)), (locale, m.id)
