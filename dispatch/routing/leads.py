"""Team leads: dispatchers, and agents who lead a desk team (admins stand above them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import Actor, Role
from dispatch.errors import Forbidden
from dispatch.i18n import LazyText
from dispatch.routing.models import DeskTeamMember


def is_lead(session: Session, actor: Actor) -> bool:
    """Whether the actor is a dispatcher or an agent marked lead of a desk team (not an admin)."""
    if actor.role is Role.DISPATCHER:
        return True
    if actor.role is not Role.AGENT or actor.user_id is None:
        return False
    stmt = select(DeskTeamMember.team_id).where(
        DeskTeamMember.user_id == actor.user_id, DeskTeamMember.is_lead.is_(True)
    )
    return session.scalar(stmt.limit(1)) is not None


def require_lead(session: Session, actor: Actor, *, to: LazyText) -> None:
    """Raise :class:`Forbidden` unless an admin or a team lead acts.

    ``to`` is the whole refusal as translators see it, e.g. ``_("Only admins and team leads
    (dispatchers, and agents who lead a desk team) may score quality reviews.")``.
    """
    if actor.role is Role.ADMIN or is_lead(session, actor):
        return
    raise Forbidden(to, errors={"role": [actor.role.value]})
