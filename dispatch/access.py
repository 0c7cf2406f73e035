"""Who is acting, and the role checks every service applies (not only the views)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from babel.lists import format_list

from dispatch.errors import Forbidden
from dispatch.i18n import LazyText, _, current_locale


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


ROLE_NAMES: dict[Role, LazyText] = {
    Role.ADMIN: _("admin"),
    Role.DISPATCHER: _("dispatcher"),
    Role.AGENT: _("agent"),
    Role.ENGINEER: _("engineer"),
    Role.CUSTOMER: _("customer"),
}
"""A role as people call it, in the reader's language (the role's code stays ``Role.value``)."""


class RoleList:
    """Roles named as a list in the reader's language when shown ("admin and dispatcher", "管理员和调度员")."""

    __slots__ = ("roles",)

    def __init__(self, roles: Iterable[Role]) -> None:
        self.roles = sorted(roles)

    def __str__(self) -> str:
        names = [str(ROLE_NAMES[role]) for role in self.roles]
        return format_list(names, locale=current_locale()) if names else "-"


def refusal(actor: Actor, roles: Iterable[Role], sentence: LazyText) -> Forbidden:
    """The refusal ``sentence`` (a whole one, with ``%(role)s`` and ``%(allowed)s``) filled in for ``actor``."""
    return Forbidden(LazyText(sentence.msgid, {"role": ROLE_NAMES[actor.role], "allowed": RoleList(roles)}))


def require_role(actor: Actor, roles: Iterable[Role], *, to: LazyText) -> None:
    """Raise :class:`Forbidden` unless the actor has one of ``roles``.

    ``to`` is the whole refusal as translators see it, e.g. ``_("Your role (%(role)s) may not plan
    days (allowed: %(allowed)s).")``: it gets the actor's role and the allowed ones when shown.
    """
    allowed = frozenset(roles)
    if actor.role not in allowed:
        raise refusal(actor, allowed, to)
