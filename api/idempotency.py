"""``Idempotency-Key`` on writes: a retry after a lost response gets the first answer, applied once.

Wrap any replayable mutation view with :func:`idempotent` (outermost, so the key is checked before
the body is parsed and before If-Match or any other precondition). The key row is written in the
same transaction as the change; 2xx and 4xx answers are stored and replayed with
``Idempotent-Replayed: true``; 5xx answers are not stored, so the retry runs again. The same key
with a different request is a 422; a key whose first request is still running is a 409 with
``Retry-After``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from api import database
from api.errors import payload
from dispatch.errors import DomainError
from dispatch.idempotency import service as keys

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "ETag", "Location")
RETRY_AFTER_S = 2

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": keys.MAX_KEY_LENGTH},
    "description": (
        "a client-made unique id (UUID) of this write: a retry with the same key and the same request "
        "gets the first answer (with Idempotent-Replayed: true) and is applied only once"
    ),
}
DOC = {"parameters": [PARAMETER]}


def fingerprint() -> str:
    """SHA-256 of what makes this request this request: method, path, query, If-Match and body.

    JSON bodies are compared by content (key order and spacing do not matter); other bodies (images)
    by their bytes.
    """
    digest = hashlib.sha256()
    for part in (
        request.method,
        request.path,
        json.dumps(sorted(request.args.items(multi=True))),
        request.headers.get("If-Match", ""),
    ):
        digest.update(part.encode() + b"\0")
    raw = request.get_data(cache=True)
    if request.is_json and raw:
        with contextlib.suppress(ValueError):  # not JSON after all: the bytes decide
            raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    digest.update(raw)
    return digest.hexdigest()


def _replay(row: Any) -> Response:
    response = Response(row.body or "", status=row.status, headers=dict(row.headers or {}))
    response.headers[REPLAYED] = "true"
    return response


def _in_progress(key: str) -> Response:
    error = keys.KeyInProgress(f"a request with Idempotency-Key {key!r} is still being processed: retry soon")
    response = current_app.response_class(
        json.dumps(payload(error.status, error.message)), status=error.status, mimetype="application/json"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _kept_headers(response: Response) -> dict[str, str]:
    return {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}


def _store_refusal(user_id: int, key: str, fp: str, response: Response) -> None:
    """Keep a 4xx answer on its own (the change it refused was rolled back)."""
    session = database.session()
    try:
        row = keys.start(
            session, user_id=user_id, key=key, fingerprint=fp, method=request.method, path=request.path
        )
        keys.finish(
            row,
            status=response.status_code,
            headers=_kept_headers(response),
            body=response.get_data(as_text=True),
        )
        session.commit()
    except IntegrityError:
        session.rollback()  # a concurrent attempt stored its own answer: that one wins


def run_once(*, user_id: int, key: str, fingerprint: str, view: Callable[[], Any]) -> Response:
    """Run ``view`` once for this user's ``key``; a repeat gets the stored answer (``Idempotent-Replayed``).

    Raises :class:`~dispatch.idempotency.service.KeyInProgress` while the first request still runs, and
    :class:`~dispatch.errors.Invalid` when the key was used for a different request. The caller commits:
    the key row is written in the same transaction as the change.
    """
    session = database.session()
    row = keys.find(session, user_id=user_id, key=key)
    if row is not None:
        keys.check_same_request(row, fingerprint)
        return _replay(row)
    try:
        row = keys.start(
            session,
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            method=request.method,
            path=request.path,
        )
    except IntegrityError:
        # Another request holding this key committed while we waited for its lock.
        session.rollback()
        row = keys.find(session, user_id=user_id, key=key)
        if row is None:
            raise keys.KeyInProgress(
                f"a request with Idempotency-Key {key!r} is still being processed: retry soon"
            ) from None
        keys.check_same_request(row, fingerprint)
        return _replay(row)
    try:
        response = current_app.make_response(view())
    except (DomainError, HTTPException) as exc:
        session.rollback()  # nothing half-written
        response = current_app.make_response(current_app.handle_user_exception(exc))
        if 400 <= response.status_code < 500:
            _store_refusal(user_id, key, fingerprint, response)
        return response
    if response.status_code >= 500:
        session.rollback()
        return response
    keys.finish(
        row,
        status=response.status_code,
        headers=_kept_headers(response),
        body=response.get_data(as_text=True),
    )
    return response


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a write view replay-safe under ``Idempotency-Key`` (requests without the header run as usual)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(*args, **kwargs)
        key = keys.check_key(raw_key.strip())
        try:
            return run_once(
                user_id=current_user.id,
                key=key,
                fingerprint=fingerprint(),
                view=lambda: view(*args, **kwargs),
            )
        except keys.KeyInProgress:
            return _in_progress(key)
        # the view's commit (api.database.View) stores the change and the key together

    return wrapper


FORM_FIELD = "idempotency_key"
"""The hidden field that carries a page form's key (made when the form is rendered)."""
FORM_IGNORED = frozenset({FORM_FIELD, "csrf_token"})


def new_key() -> str:
    """A fresh key for a form being rendered."""
    return str(uuid.uuid4())


def form_fingerprint() -> str:
    """SHA-256 of method, path and the form's fields, leaving out the CSRF value and the key itself."""
    fields = sorted((k, v) for k, v in request.form.items(multi=True) if k not in FORM_IGNORED)
    digest = hashlib.sha256()
    for part in (request.method, request.path, json.dumps(fields)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()
