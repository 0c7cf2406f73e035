"""Field types that keep input inside what every supported database can store.

PostgreSQL refuses integers past 2**31 - 1 in ``integer`` columns, text holding NUL characters, and
SQLite and Python refuse some far-away dates; a request carrying those gets a 422 here, naming the
field, instead of failing in the database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.routing import IntegerConverter

from dispatch.i18n import _

MAX_ID = 2**31 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_WINDOW = timedelta(days=7)
"""The longest time window a visit may start in."""
_DIGITS = re.compile(r"^\s*\+?\d{1,12}\s*$")


class WholeNumber(fields.Integer):
    """An integer given as a JSON integer or as digits (a query string): ``1.5``, ``2.0`` and
    ``true`` are refused instead of being truncated to an id."""

    default_error_messages = {"invalid": "Must be a whole number, such as 42."}

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _DIGITS.match(value))
        ):
            raise self.make_error("invalid")
        return int(value)


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """An id of a stored row (1 to 2**31 - 1)."""
    return WholeNumber(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError([_("must not contain NUL characters")])


class Text(fields.String):
    """A string without NUL characters (which PostgreSQL cannot store)."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        checks = [_no_nul, *([extra] if callable(extra) else (extra or []))]
        super().__init__(validate=checks, **kwargs)


class When(fields.AwareDateTime):
    """A moment with a UTC offset, between 2000 and 2100."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=EARLIEST, max=LATEST), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            moment: datetime = super()._deserialize(value, attr, data, **kwargs)
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError([_("date out of range")]) from exc
        return moment


class TimeWindowSchema(Schema):
    """A time window (times with a UTC offset) no longer than :data:`MAX_WINDOW`."""

    starts_at = When(required=True)
    ends_at = When(required=True)

    @validates_schema
    def _not_years_long(self, data: dict[str, Any], **_kwargs: Any) -> None:
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at is not None and ends_at is not None and ends_at - starts_at > MAX_WINDOW:
            raise ValidationError(
                [_("A time window lasts at most %(days)s days.", days=MAX_WINDOW.days)], field_name="ends_at"
            )


class IdConverter(IntegerConverter):
    """``<id:name>`` in routes: only ids that can exist match (others are a plain 404)."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def id_converter_schema(_converter: Any) -> dict[str, Any]:
    """How an ``<id:...>`` path parameter is documented."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
