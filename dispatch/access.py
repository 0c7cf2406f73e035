"""Who is acting, and the role checks every service applies (not only the views)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dispatch.errors import Forbidden


class Role(StrEnum):
    """What a user is allowed to do is decided by their role."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    AGENT = "agent"
    ENGINEER = "engineer"
    CUSTOMER = "customer"


STAFF = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENT})
PLANNERS = frozenset({Role.ADMIN, Role.DISPATCHER})


@dataclass(frozen=True)
class Actor:
    """The authenticated user on whose behalf a service runs."""

    role: Role
    user_id: int | None = None
    customer_id: int | None = None
    engineer_id: int | None = None

    @property
    def is_staff(self) -> bool:
        """Admins, dispatchers and agents see everything."""
        return self.role in STAFF

    def label(self) -> str:
        """Describe the actor for messages and the event log."""
        return f"{self.role.value} #{self.user_id}" if self.user_id else self.role.value


SYSTEM = Actor(role=Role.ADMIN)
"""The actor of work the system does by itself (demo loader, queued jobs)."""


def require_role(actor: Actor, roles: Iterable[Role], *, to: str) -> None:
    """Raise :class:`Forbidden` unless the actor has one of ``roles``."""
    allowed = frozenset(roles)
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"a {actor.role.value} may not {to} (allowed: {names})")
