"""Pieces every resource blueprint shares: the login guard, sorting, paging, ETags."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema

from api.auth import require_login
from api.fields import Text
from dispatch.errors import DomainError
from dispatch.listing import Page

MAX_PAGE_SIZE = 200


def blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint whose every route needs a valid access token."""
    blp = Blueprint(name, __name__, url_prefix=f"/api/v1{url_prefix}", description=description)
    blp.before_request(require_login)
    return blp


class SortArgs(Schema):
    """``sort=field,-other``: ascending, or descending with a leading minus."""

    sort = Text(metadata={"description": "comma-separated fields, '-' for descending"})


def page_items(result: Page[Any], pagination: Any) -> list[Any]:
    """Hand the total to flask-smorest's paginator (X-Pagination header) and return the items."""
    pagination.item_count = result.total
    return result.items


def paging(pagination: Any) -> dict[str, Any]:
    """The page and page size flask-smorest parsed, as service keyword arguments."""
    return {"page": pagination.page, "page_size": pagination.page_size}


class PreconditionRequired(DomainError):
    """A write came without If-Match (HTTP 428)."""

    status = 428


class PreconditionFailed(DomainError):
    """If-Match was sent but cannot match (HTTP 412)."""

    status = 412


_ETAG = re.compile(r'^\s*(?:W/)?"v(\d+)"\s*$')


def etag(version: int) -> str:
    """The ETag of a versioned entity."""
    return f'"v{version}"'


def if_match() -> int | None:
    """The version the client says it read, from If-Match; None for ``*``. Raises 428/412."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired(
            "this write needs an If-Match header with the ETag you last read (GET the order first)",
            errors={"If-Match": ["missing"]},
        )
    if header.strip() == "*":
        return None
    match = _ETAG.match(header.split(",")[0])
    if match is None:
        raise PreconditionFailed(
            f'If-Match must be an ETag like "v3", not {header!r}',
            errors={"If-Match": ["not an ETag"]},
        )
    return int(match.group(1))


IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": 'the ETag from the last read of this order, e.g. "v3"',
        }
    ]
}


class PartialSchema(Schema):
    """Mixin making every field optional, for PATCH bodies."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)
