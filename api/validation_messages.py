"""Validation messages in the reader's language: marshmallow's own sentences and ours.

marshmallow writes its messages in English and fills in values before we see them
("Must be greater than or equal to 1."). Each of its sentences is listed here once, with ``{name}``
where marshmallow puts a value; a message that matches one is shown from the catalog with the same
values. Our own schemas raise lazy text (:func:`dispatch.i18n._`), shown in the reader's language
too. Only the sentences change: the shape of ``errors``, the field names and the codes stay.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from dispatch import i18n
from dispatch.i18n import N_, LazyText

MARSHMALLOW = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid input."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid period of time."),
    N_("Not a valid string."),
    N_("Not a valid tuple."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid IP address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IPv6 interface."),
    N_("Not a valid {obj_type}."),
    N_("Not a valid {awareness} {obj_type}."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a {obj_type}.'),
    N_("{input} cannot be formatted as a timedelta."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Must be equal to {other}."),
    N_("Must be one of: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
)
"""marshmallow's sentences (fields and validators), as the catalog holds them."""

WORDS = {
    "date": N_("date"),
    "datetime": N_("datetime"),
    "time": N_("time"),
    "aware": N_("aware"),
    "naive": N_("naive"),
}
"""Words marshmallow puts into its sentences (``obj_type``, ``awareness``)."""


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each sentence as a pattern that captures its values."""
    found = []
    for template in MARSHMALLOW:
        parts = re.split(r"\{(\w+)\}", template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        found.append((re.compile(pattern), template))
    return tuple(found)


def translate_message(message: object) -> str:
    """One message in the reader's language (lazy text, or one of marshmallow's sentences)."""
    if isinstance(message, LazyText):
        return str(message)
    text = str(message)
    if i18n.current_locale() == i18n.SOURCE_LOCALE:
        return text
    catalog = i18n.translations(i18n.current_locale())
    for pattern, template in _patterns():
        matched = pattern.fullmatch(text)
        if matched is None:
            continue
        values = {
            name: catalog.gettext(WORDS[value]) if value in WORDS else value
            for name, value in matched.groupdict().items()
        }
        return catalog.gettext(template).format(**values)
    return text


def translate_errors(errors: Any) -> Any:
    """Every message of a marshmallow ``errors`` tree translated; keys (field names) as they are."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(value) for value in errors]
    if isinstance(errors, str | LazyText):
        return translate_message(errors)
    return errors
