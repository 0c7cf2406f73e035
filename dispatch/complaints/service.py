"""Complaints: read and fill the complaint record of a complaint ticket, within the compensation
limit of the actor's role; refuse to resolve or close one without root cause and responsibility;
flag repeats of the same cause for the same customer or engineer.

Staff (admins, dispatchers, agents) work complaints, as they work the desk's tickets. Every change
is one ``complaint_updated`` event on the ticket's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.complaints.models import Complaint, FollowUpOutcome, Grade, RepeatBy, Responsible, RootCause
from dispatch.engineers.models import Engineer
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.routing import leads
from dispatch.routing.models import DeskTeam
from dispatch.sla.models import SlaClock
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketKind, TicketStatus
from dispatch.users.models import User

MAX_TEXT = 5_000
AUDITED = (
    "grade",
    "responsible",
    "responsible_team_id",
    "responsible_engineer_id",
    "responsible_partner",
    "cause_id",
    "order_id",
    "customer_wish",
    "resolution",
    "compensation_minor",
    "compensation_by_id",
    "follow_up_at",
    "follow_up_by_id",
    "follow_up_outcome",
    "follow_up_notes",
    "corrective_action",
    "repeat_of_id",
    "repeat_by",
)
_VIEW = events.fields(*AUDITED)
TEXTS = ("customer_wish", "resolution", "follow_up_notes", "corrective_action")


@dataclass(frozen=True)
class Limits:
    """The most compensation each role may grant, in minor units (admins: no limit)."""

    agent: int
    lead: int
    repeat_days: int = 90


@dataclass(frozen=True)
class Breach:
    """An SLA or OLA clock of the ticket that was missed."""

    kind: str
    team_id: int | None
    breached_at: datetime


def _check_ticket(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not work complaints (allowed: %(allowed)s)."))
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    if ticket.kind is not TicketKind.COMPLAINT:
        raise Conflict(
            _("ticket %(number)s is not a complaint: make its kind complaint first", number=ticket.number),
            errors={"kind": [ticket.kind.value]},
        )
    return ticket


def get(session: Session, *, ticket_id: int) -> Complaint | None:
    """The complaint record of a ticket, or None (callers check the actor)."""
    return session.get(Complaint, ticket_id)


def get_or_raise(session: Session, *, actor: Actor, ticket_id: int) -> Complaint:
    """The complaint record of a complaint ticket (an empty, unsaved one until someone fills it)."""
    ticket = _check_ticket(session, actor, ticket_id)
    found = get(session, ticket_id=ticket.id)
    if found is not None:
        return found
    return Complaint(
        ticket_id=ticket.id,
        ticket=ticket,
        customer_id=ticket.customer_id,
        grade=Grade.MINOR,
        compensation_minor=0,
        customer_wish="",
        resolution="",
        follow_up_notes="",
        corrective_action="",
        order_id=ticket.order_ids[0] if ticket.order_ids else None,
        version=0,
    )


def breaches(session: Session, *, ticket_id: int) -> list[Breach]:
    """The ticket's missed SLA and OLA clocks, earliest first."""
    stmt = (
        select(SlaClock)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.breached_at.is_not(None))
        .order_by(SlaClock.breached_at)
    )
    return [
        Breach(kind=c.kind.value, team_id=c.team_id, breached_at=c.breached_at)
        for c in session.scalars(stmt)
        if c.breached_at is not None
    ]


def missing_for_closing(complaint: Complaint | None) -> list[str]:
    """The fields a complaint still needs before it may be resolved or closed."""
    missing = []
    if complaint is None or complaint.cause_id is None:
        missing.append("cause_id")
    if complaint is None or complaint.responsible is None:
        missing.append("responsible")
    return missing


def limit_of(session: Session, actor: Actor, limits: Limits) -> int | None:
    """The most compensation the actor may grant (None: no limit)."""
    if actor.role is Role.ADMIN:
        return None
    return limits.lead if leads.is_lead(session, actor) else limits.agent


def _text(changes: Mapping[str, Any], name: str, current: str) -> str:
    if name not in changes:
        return current
    text = str(changes[name] or "").strip()
    if len(text) > MAX_TEXT:
        raise Invalid(
            _("%(field)s is too long: at most %(n)s characters", field=name, n=MAX_TEXT),
            errors={name: [f"at most {MAX_TEXT} characters"]},
        )
    return text


def _cause(session: Session, cause_id: int | None) -> int | None:
    if cause_id is None:
        return None
    cause = session.get(RootCause, cause_id)
    if cause is None or not cause.active:
        raise Invalid(
            _("root cause %(id)s cannot be used", id=cause_id), errors={"cause_id": ["no such active cause"]}
        )
    return cause.id


def _responsibility(session: Session, complaint: Complaint, changes: Mapping[str, Any]) -> None:
    """Set who is responsible: exactly the one reference the kind of party needs."""
    names = ("responsible", "responsible_team_id", "responsible_engineer_id", "responsible_partner")
    if not any(n in changes for n in names):
        return
    kind = changes.get("responsible", complaint.responsible)
    team_id = changes.get("responsible_team_id", complaint.responsible_team_id)
    engineer_id = changes.get("responsible_engineer_id", complaint.responsible_engineer_id)
    partner = str(changes.get("responsible_partner", complaint.responsible_partner) or "").strip() or None
    if kind is None:
        complaint.responsible = None
        complaint.responsible_team_id = complaint.responsible_engineer_id = None
        complaint.responsible_partner = None
        return
    kind = Responsible(kind)
    if kind is Responsible.DEPARTMENT:
        if team_id is None or session.get(DeskTeam, team_id) is None:
            raise Invalid(
                _("name the responsible department: one of the desk's teams"),
                errors={"responsible_team_id": ["required: an existing desk team"]},
            )
        engineer_id, partner = None, None
    elif kind is Responsible.ENGINEER:
        if engineer_id is None or session.get(Engineer, engineer_id) is None:
            raise Invalid(
                _("name the responsible engineer"),
                errors={"responsible_engineer_id": ["required: an existing engineer"]},
            )
        team_id, partner = None, None
    else:
        if not partner or len(partner) > 200:
            raise Invalid(
                _("name the responsible partner (1 to 200 characters)"),
                errors={"responsible_partner": ["required: 1 to 200 characters"]},
            )
        team_id, engineer_id = None, None
    complaint.responsible = kind
    complaint.responsible_team_id = team_id
    complaint.responsible_engineer_id = engineer_id
    complaint.responsible_partner = partner


def _compensation(
    session: Session, actor: Actor, complaint: Complaint, changes: Mapping[str, Any], limits: Limits
) -> None:
    if "compensation_minor" not in changes:
        return
    amount = int(changes["compensation_minor"])
    if amount < 0:
        raise Invalid(
            _("compensation cannot be negative"), errors={"compensation_minor": ["0 or more minor units"]}
        )
    if amount == complaint.compensation_minor:
        return
    limit = limit_of(session, actor, limits)
    if limit is not None and amount > limit:
        raise Forbidden(
            _(
                "a compensation of %(amount)s is above your limit of %(limit)s (minor units): "
                "ask a team lead or an admin",
                amount=amount,
                limit=limit,
            ),
            errors={"compensation_minor": [f"at most {limit}"], "limit_minor": limit},
        )
    complaint.compensation_minor = amount
    complaint.compensation_by_id = actor.user_id


def _follow_up(session: Session, actor: Actor, complaint: Complaint, changes: Mapping[str, Any]) -> None:
    if "follow_up_at" in changes:
        complaint.follow_up_at = changes["follow_up_at"]
    if "follow_up_outcome" in changes:
        outcome = changes["follow_up_outcome"]
        complaint.follow_up_outcome = FollowUpOutcome(outcome) if outcome is not None else None
    if "follow_up_by_id" in changes:
        user_id = changes["follow_up_by_id"]
        user = session.get(User, user_id) if user_id is not None else None
        if user_id is not None and (user is None or user.role not in STAFF):
            raise Invalid(
                _("user %(id)s cannot make the follow-up call", id=user_id),
                errors={"follow_up_by_id": ["a staff user"]},
            )
        complaint.follow_up_by_id = user_id
    elif "follow_up_outcome" in changes and complaint.follow_up_by_id is None:
        complaint.follow_up_by_id = actor.user_id


def _order(ticket: Ticket, changes: Mapping[str, Any], current: int | None) -> int | None:
    if "order_id" not in changes:
        return current
    order_id = changes["order_id"]
    if order_id is not None and order_id not in ticket.order_ids:
        raise Invalid(
            _("order %(id)s is not linked to this ticket: link the visit first", id=order_id),
            errors={"order_id": ["one of the ticket's orders"]},
        )
    return order_id  # type: ignore[no-any-return]


def find_repeat(
    session: Session, complaint: Complaint, *, days: int, now: datetime | None = None
) -> tuple[Complaint | None, RepeatBy | None]:
    """The latest earlier complaint of the same cause for the same customer (or else the same
    engineer) within ``days``, and what they share."""
    if complaint.cause_id is None:
        return None, None
    since = (now or complaint.created_at or _now()) - timedelta(days=days)
    base = select(Complaint).where(
        Complaint.cause_id == complaint.cause_id,
        Complaint.ticket_id != complaint.ticket_id,
        Complaint.created_at >= since,
        Complaint.ticket_id < complaint.ticket_id,
    )
    same_customer = session.scalar(
        base.where(Complaint.customer_id == complaint.customer_id)
        .order_by(Complaint.ticket_id.desc())
        .limit(1)
    )
    if same_customer is not None:
        return same_customer, RepeatBy.CUSTOMER
    if complaint.responsible_engineer_id is not None:
        same_engineer = session.scalar(
            base.where(Complaint.responsible_engineer_id == complaint.responsible_engineer_id)
            .order_by(Complaint.ticket_id.desc())
            .limit(1)
        )
        if same_engineer is not None:
            return same_engineer, RepeatBy.ENGINEER
    return None, None


def _now() -> datetime:
    from dispatch.db import utcnow

    return utcnow()


def update(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
    limits: Limits,
) -> Complaint:
    """Fill or change the complaint record (staff); compensation above the actor's limit is refused."""
    ticket = _check_ticket(session, actor, ticket_id)
    complaint = get(session, ticket_id=ticket.id)
    if complaint is None:
        complaint = get_or_raise(session, actor=actor, ticket_id=ticket.id)
    current = complaint.version or 0
    if expected_version is not None and expected_version != current:
        raise StaleVersion(
            _("the complaint of ticket %(number)s", number=ticket.number), expected_version, current
        )
    if ticket.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: its complaint can no longer change", number=ticket.number),
            errors={"current_status": ticket.status.value},
        )
    before = _VIEW(complaint) if complaint.version else {}
    complaint.customer_id = ticket.customer_id  # a reviewed contact may have moved the ticket since
    if "grade" in changes:
        complaint.grade = Grade(changes["grade"])
    if "cause_id" in changes:
        complaint.cause_id = _cause(session, changes["cause_id"])
    _responsibility(session, complaint, changes)
    complaint.order_id = _order(ticket, changes, complaint.order_id)
    for name in TEXTS:
        setattr(complaint, name, _text(changes, name, getattr(complaint, name) or ""))
    _compensation(session, actor, complaint, changes, limits)
    _follow_up(session, actor, complaint, changes)
    if ticket.status in (TicketStatus.RESOLVED,) and missing_for_closing(complaint):
        raise Conflict(
            _("a resolved complaint keeps its root cause and responsibility"),
            errors={name: ["required on a resolved complaint"] for name in missing_for_closing(complaint)},
        )
    with session.no_autoflush:  # one flush, one version step
        repeat, by = find_repeat(session, complaint, days=limits.repeat_days)
    complaint.repeat_of_id = repeat.ticket_id if repeat is not None else None
    complaint.repeat_by = by
    if not complaint.version:
        complaint.version = 1
        session.add(complaint)
    session.flush()
    old, new = events.changed(before, _VIEW(complaint))
    if new:
        events.record(
            session,
            actor=actor,
            entity_type="complaint",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            action="complaint_updated",
            before=old,
            after=new,
        )
    return complaint


def visible_filter(stmt: Select[Any]) -> Select[Any]:
    """Complaint records of tickets still of kind complaint."""
    return stmt.join(Ticket, Ticket.id == Complaint.ticket_id).where(Ticket.kind == TicketKind.COMPLAINT)


def list_complaints(
    session: Session,
    *,
    actor: Actor,
    repeat: bool | None = None,
    cause_id: int | None = None,
    customer_id: int | None = None,
    engineer_id: int | None = None,
    grade: Sequence[Grade] = (),
    cursor: int | None = None,
    limit: int = 50,
) -> list[Complaint]:
    """Complaint records newest first (keyset on the ticket id); ``repeat=true`` lists the flagged ones."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not work complaints (allowed: %(allowed)s)."))
    stmt = visible_filter(select(Complaint))
    if repeat is not None:
        stmt = stmt.where(Complaint.repeat_of_id.is_not(None) if repeat else Complaint.repeat_of_id.is_(None))
    for column, value in (
        (Complaint.cause_id, cause_id),
        (Complaint.customer_id, customer_id),
        (Complaint.responsible_engineer_id, engineer_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if grade:
        stmt = stmt.where(Complaint.grade.in_(list(grade)))
    if cursor is not None:
        stmt = stmt.where(Complaint.ticket_id < cursor)
    return list(session.scalars(stmt.order_by(Complaint.ticket_id.desc()).limit(limit)))


def check_can_finish(session: Session, ticket: Ticket) -> None:
    """Refuse (409, naming what is missing) to resolve or close a complaint without root cause and
    responsibility."""
    if ticket.kind is not TicketKind.COMPLAINT:
        return
    missing = missing_for_closing(get(session, ticket_id=ticket.id))
    if not missing:
        return
    if len(missing) == 2:
        message = _(
            "complaint %(number)s cannot be resolved or closed yet: give it a root cause and a responsible party",
            number=ticket.number,
        )
    elif missing == ["cause_id"]:
        message = _(
            "complaint %(number)s cannot be resolved or closed yet: give it a root cause",
            number=ticket.number,
        )
    else:
        message = _(
            "complaint %(number)s cannot be resolved or closed yet: give it a responsible party",
            number=ticket.number,
        )
    raise Conflict(
        message, errors={name: ["required before a complaint is resolved or closed"] for name in missing}
    )


def not_found(ticket_id: int) -> NotFound:
    """The error for a complaint that does not exist."""
    return NotFound(_("complaint %(id)s not found", id=ticket_id))


def cause_path(session: Session, cause_id: int | None) -> list[str]:
    """The names from the root cause's root down to it."""
    names: list[str] = []
    current = session.get(RootCause, cause_id) if cause_id is not None else None
    for _level in range(10):
        if current is None:
            break
        names.insert(0, current.name)
        current = session.get(RootCause, current.parent_id) if current.parent_id is not None else None
    return names


def describe(session: Session, *, complaint: Complaint, your_limit: int | None) -> dict[str, Any]:
    """The complaint as the desk shows it: the record, the ticket's SLA breaches, the repeat flag,
    what resolving still needs, and the reader's compensation limit (:func:`limit_of`)."""
    ticket = complaint.ticket
    repeat = session.get(Complaint, complaint.repeat_of_id) if complaint.repeat_of_id is not None else None
    view: dict[str, Any] = {name: getattr(complaint, name) for name in AUDITED}
    view.update(
        ticket_id=ticket.id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status.value,
        customer_id=ticket.customer_id,
        cause_path=cause_path(session, complaint.cause_id),
        repeat=(
            {"ticket_id": repeat.ticket_id, "number": repeat.ticket.number, "by": complaint.repeat_by}
            if repeat is not None
            else None
        ),
        sla_breaches=breaches(session, ticket_id=ticket.id),
        missing_to_close=missing_for_closing(complaint if complaint.version else None),
        your_limit_minor=your_limit,
        version=complaint.version or 0,
    )
    return view
