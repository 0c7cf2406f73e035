"""Typed domain errors. The API maps each to the standard error payload and status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch import statuses
from dispatch.i18n import LazyText, _


class DomainError(Exception):
    """Base of every error the domain raises on purpose; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str | LazyText, *, errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong, for a person: lazy text is shown in the reader's language."""
        self.errors = dict(errors) if errors else None


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does."""

    status = 404


class Forbidden(DomainError):
    """The actor is known but their role does not allow this."""

    status = 403


class Unauthorized(DomainError):
    """Who is asking could not be established (bad credentials, revoked token)."""

    status = 401


class Conflict(DomainError):
    """The request is well formed but clashes with the current state."""

    status = 409


class InvalidTransition(Conflict):
    """A state change that the state machine does not allow."""

    def __init__(self, action: str, current: str, target: str, allowed_from: tuple[str, ...]) -> None:
        super().__init__(
            _(
                "cannot %(action)s an order that is %(current)s "
                "(only one that is %(allowed)s; it would then be %(target)s)",
                action=statuses.word("OrderAction", action),
                current=statuses.word("OrderStatus", current),
                allowed=statuses.words("OrderStatus", allowed_from),
                target=statuses.word("OrderStatus", target),
            ),
            errors={"current_status": current, "target_status": target},
        )
        self.current = current
        self.target = target


class StaleVersion(DomainError):
    """The client's copy is older than the stored one (HTTP 412)."""

    status = 412

    def __init__(self, what: LazyText | str, expected: int, actual: int) -> None:
        super().__init__(
            _(
                "%(what)s has changed since you read it (you sent version %(expected)s, "
                "it is now at version %(actual)s): reload it and try again",
                what=what,
                expected=expected,
                actual=actual,
            ),
            errors={"expected_version": expected, "current_version": actual},
        )
        self.actual = actual


class Invalid(DomainError):
    """Input that is well formed but not acceptable (HTTP 422), with field errors."""

    status = 422
