"""Checks every request passes before any view runs: body size, JSON shape, NUL characters.

- A body larger than the limit (``DISPATCH_MAX_BODY_BYTES``; ``DISPATCH_ATTACHMENT_MAX_BYTES`` for
  image uploads) is a 413 before it is read: a declared Content-Length at once, a chunked body as
  soon as more than the limit has arrived (Werkzeug stops reading there).
- JSON nested deeper than :data:`MAX_JSON_DEPTH` is a 400 (Python's parser would recurse until it
  fails), and a string holding a lone UTF-16 surrogate (``"\\ud800"``, which no database can store)
  is a 422 naming the field.
- A NUL character in the path is a 404 and in the query a 422: no stored thing has one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from dispatch.config import Settings
from dispatch.errors import DomainError, Invalid

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body (ours need fewer than five)."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class TooDeep(DomainError):
    """A JSON body nested past :data:`MAX_JSON_DEPTH` (HTTP 400)."""

    status = 400


class BodyTooLarge(RequestEntityTooLarge):
    """A body over the limit of this request, saying what the limit is."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        if size is None:
            message = f"The request body is larger than the {limit:,} bytes accepted here: send less."
        else:
            message = f"The request body is {size:,} bytes; at most {limit:,} are accepted here: send less."
        super().__init__(message)
        self.limit = limit


def init_app(app: Flask, settings: Settings) -> None:
    """Run the checks before every request (before rate limits and login, which may read the body)."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes

    @app.before_request
    def _guard() -> None:
        limit = body_limit(settings)
        size = request.content_length
        if size is not None and size > limit:
            raise BodyTooLarge(limit, size)
        if "\x00" in request.path:
            raise NotFound("Nothing is found at an address holding a NUL character.")
        _check_query()
        chunked = size is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if chunked:
            # No length given: read at most one byte past the limit (Werkzeug stops there) to know.
            request.max_content_length = limit + 1
            if len(request.get_data(cache=True)) > limit:
                raise BodyTooLarge(limit)
        request.max_content_length = limit
        if request.is_json and (size or chunked):
            check_json(request.get_data(cache=True))


def body_limit(settings: Settings) -> int:
    """The largest body this request may carry: the attachment limit for images, else the JSON one."""
    if request.mimetype.startswith("image/"):
        return settings.attachment_max_bytes
    return settings.max_body_bytes


def _check_query() -> None:
    if b"%00" not in request.query_string and b"\x00" not in request.query_string:
        return
    bad = sorted({name for name, value in request.args.items(multi=True) if "\x00" in name + value})
    raise Invalid(
        "The query holds a NUL character, which no field accepts.",
        errors={
            "query": {name.replace("\x00", "\\x00"): ["must not contain NUL characters"] for name in bad}
        },
    )


def check_json(raw: bytes) -> None:
    """Refuse JSON nested too deep (400) or holding a lone surrogate (422); leave syntax to the parser."""
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for token in _JSON_TOKENS.finditer(raw):
            kind = token.group()
            if kind in (b"[", b"{"):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    raise TooDeep(
                        f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep: "
                        "no request of this service needs that.",
                        errors={"json": [f"at most {MAX_JSON_DEPTH} levels of arrays and objects"]},
                    )
            elif kind in (b"]", b"}"):
                depth -= 1
    if _SURROGATE_ESCAPE.search(raw) is None:
        return
    try:
        data = json.loads(raw)
    except ValueError:
        return  # not JSON at all: the parser of the view says so
    where = _lone_surrogate(data)
    if where is not None:
        raise Invalid(
            "The JSON body holds a lone UTF-16 surrogate (such as \\ud800), which is not text.",
            errors={"json": {where: ["must be valid Unicode text"]}},
        )


def _lone_surrogate(data: Any) -> str | None:
    """The path of the first key or string that cannot be encoded as UTF-8, or None."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return path or "(body)"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if not _encodable(key):
                    return path or "(body)"
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
