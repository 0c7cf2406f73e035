"""Find, start and finish idempotency keys; the HTTP side lives in :mod:`api.idempotency`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, Invalid
from dispatch.idempotency.models import IdempotencyKey

MAX_KEY_LENGTH = 100


class KeyInProgress(Conflict):
    """Another request with the same key has not finished yet (HTTP 409 + Retry-After)."""


def check_key(key: str) -> str:
    """Return the key if it is usable (1-100 visible ASCII characters), else raise :class:`Invalid`."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise Invalid(
            "Idempotency-Key must be 1 to 100 visible ASCII characters (a UUID is best)",
            errors={"Idempotency-Key": ["malformed"]},
        )
    return key


def find(session: Session, *, user_id: int, key: str) -> IdempotencyKey | None:
    """The stored key of this user, if any."""
    found: IdempotencyKey | None = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    return found


def check_same_request(row: IdempotencyKey, fingerprint: str) -> None:
    """Raise 422 if the key was used for a different request, 409 if that request still runs."""
    if row.fingerprint != fingerprint:
        raise Invalid(
            f"Idempotency-Key {row.key!r} was already used for a different request "
            f"({row.method} {row.path}); make a new key for a new request",
            errors={"Idempotency-Key": ["reused with a different request"]},
        )
    if row.status is None:
        raise KeyInProgress(
            f"a request with Idempotency-Key {row.key!r} is still being processed: retry soon"
        )


def start(
    session: Session, *, user_id: int, key: str, fingerprint: str, method: str, path: str
) -> IdempotencyKey:
    """Claim the key inside the current transaction (a concurrent claim fails on the unique key)."""
    row = IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint, method=method, path=path[:500])
    session.add(row)
    session.flush()
    return row


def finish(row: IdempotencyKey, *, status: int, headers: Mapping[str, str], body: str) -> None:
    """Store the answer to give every retry of this key."""
    row.status = status
    row.headers = dict(headers)
    row.body = body


def purge(session: Session, *, before: datetime) -> int:
    """Forget keys made before ``before`` (clients retry for days, not months); returns how many."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
