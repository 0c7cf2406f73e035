"""Tickets: create (routed on arrival), read, list the agents' queues, edit, move through the state
machine, assign by hand, and close resolved tickets after the configured time.

Every change is one event in the log (``entity_type="ticket"``, with ``ticket_id`` set) naming the
action; see ``dispatch/tickets/README.md`` for the list and where the SLA clocks and notifications hook in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, SYSTEM, Actor, Role, require_role
from dispatch.customers import recognition
from dispatch.customers import service as customers
from dispatch.customers.models import CustomerContact
from dispatch.db import utcnow
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.i18n import LazyText, _
from dispatch.orders import service as orders
from dispatch.orders.models import Order, Priority
from dispatch.routing import service as routing
from dispatch.routing import wake
from dispatch.routing.models import DeskAgent
from dispatch.sites.models import Site
from dispatch.statuses import status_word
from dispatch.tickets import states
from dispatch.tickets.models import (
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketOrder,
    TicketStatus,
    parse_number,
)
from dispatch.users.models import User

AUDITED = (
    "status",
    "priority",
    "kind",
    "subject",
    "category_id",
    "site_id",
    "team_id",
    "assignee_id",
    "owner_id",
    "tags",
    "sla_policy_id",
    "merged_into_id",
)
_VIEW = events.fields(*AUDITED)
MAX_SUBJECT = 300
MAX_BODY = 20_000
MAX_TAGS = 20
COUNT_CAP = 1000
"""Queue counts stop counting here (the desk shows "1000+"): no count runs over the whole table."""


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Staff see every ticket, a customer their own, an engineer those linked to their jobs."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.CUSTOMER:
        return stmt.where(Ticket.customer_id == actor.customer_id)
    if actor.role is Role.ENGINEER:
        linked = (
            select(TicketOrder.ticket_id)
            .join(Order, Order.id == TicketOrder.order_id)
            .where(Order.engineer_id == actor.engineer_id)
        )
        return stmt.where(Ticket.id.in_(linked))
    return stmt.where(false())


def get(session: Session, *, actor: Actor, ticket_id: int) -> Ticket | None:
    """Return the ticket if the actor may see it, else None."""
    found: Ticket | None = session.scalar(visible(select(Ticket).where(Ticket.id == ticket_id), actor))
    return found


def get_or_raise(session: Session, *, actor: Actor, ticket_id: int) -> Ticket:
    """Return the ticket or raise :class:`NotFound` (also when it is not the actor's to see)."""
    ticket = get(session, actor=actor, ticket_id=ticket_id)
    if ticket is None:
        raise NotFound(_("ticket %(id)s not found", id=ticket_id))
    return ticket


def check_version(ticket: Ticket, expected: int | None) -> None:
    """Raise :class:`StaleVersion` unless the client's copy is the current one (If-Match)."""
    if expected is not None and expected != ticket.version:
        raise StaleVersion(_("ticket %(number)s", number=ticket.number), expected, ticket.version)


def require_staff(actor: Actor, refusal: LazyText) -> None:
    """Raise :class:`Forbidden` (the whole sentence ``refusal``) unless an admin, dispatcher or agent acts."""
    require_role(actor, STAFF, to=refusal)


@contextmanager
def recording(session: Session, *, actor: Actor, ticket: Ticket, action: str) -> Iterator[dict[str, Any]]:
    """Log a ticket change as one event (before/after of the audited fields); the version moves."""
    with events.recording(
        session,
        actor=actor,
        entity=ticket,
        entity_type="ticket",
        view=_VIEW,
        action=action,
        ticket_id=ticket.id,
    ) as payload:
        yield payload
        ticket.updated_at = utcnow()


def set_status(
    session: Session, *, actor: Actor, ticket: Ticket, action: str, via: str, reason: str | None = None
) -> None:
    """Move the ticket through the state machine and log ``status_changed`` (with what caused it)."""
    target = states.transition(action, ticket.status)
    with recording(session, actor=actor, ticket=ticket, action="status_changed") as payload:
        ticket.status = target
        now = utcnow()
        if target is TicketStatus.RESOLVED:
            ticket.resolved_at = now
        elif target is TicketStatus.REOPENED:
            ticket.resolved_at = None
        if target is TicketStatus.CLOSED:
            ticket.closed_at = now
        payload["via"] = via
        if reason:
            payload["reason"] = reason
    if target in states.DONE:
        wake.request(session, ticket.team_id)  # the assignee has room for another


# --- create ------------------------------------------------------------------------------------


def _text(value: str, field: str, limit: int, message: Any) -> str:
    text = (value or "").strip()
    if not text or len(text) > limit:
        raise Invalid(message, errors={field: [f"1 to {limit} characters"]})
    return text


def _tags(values: Sequence[str]) -> list[str]:
    clean = sorted({t.strip() for t in values if t.strip()})
    if len(clean) > MAX_TAGS or any(len(t) > 50 for t in clean):
        raise Invalid(
            _("too many or too long tags"), errors={"tags": [f"at most {MAX_TAGS} tags of 50 characters"]}
        )
    return clean


def category_or_raise(session: Session, category_id: int | None) -> TicketCategory | None:
    """The active category, or :class:`Invalid` naming the field."""
    if category_id is None:
        return None
    category = session.get(TicketCategory, category_id)
    if category is None or not category.active:
        raise Invalid(
            _("category %(id)s cannot be used", id=category_id),
            errors={"category_id": ["no such active category"]},
        )
    return category


@dataclass
class NewTicket:
    """What a channel hands over to open a ticket (see :func:`create`)."""

    kind: TicketKind
    subject: str
    body: str
    channel: TicketChannel | None = None
    customer_id: int | None = None
    sender: recognition.Sender | None = None
    site_id: int | None = None
    priority: Priority | None = None
    category_id: int | None = None
    team_id: int | None = None
    tags: Sequence[str] = ()
    order_ids: Sequence[int] = ()
    external_id: str | None = None
    """The channel's id of the first message (an email's Message-ID)."""
    from_customer: bool = True
    """The body is the customer's words (False: our own report, kept as an internal note)."""
    extra: dict[str, Any] = field(default_factory=dict)


def create(session: Session, *, actor: Actor, new: NewTicket, phone_region: str = "GB") -> Ticket:
    """Open a ticket from any channel: the customer is recognised, the first message kept, rules applied.

    Staff open tickets for any customer (by id, or by who wrote: email, phone, external id);
    customers for themselves (portal); engineers about one of their jobs (engineer app). The
    routing rules set what was not given; assignment runs in the ``desk`` queue after the commit.
    """
    subject = _text(new.subject, "subject", MAX_SUBJECT, _("give the ticket a subject (1 to 300 characters)"))
    body = _text(new.body, "body", MAX_BODY, _("say what the ticket is about (1 to 20,000 characters)"))
    contact: CustomerContact | None = None
    needs_review = False
    channel = new.channel
    given = {name for name in ("priority", "category_id", "team_id") if getattr(new, name) is not None}
    if actor.role is Role.CUSTOMER:
        staff_only = [n for n in ("priority", "team_id", "sender") if getattr(new, n)] + (
            ["tags"] if new.tags else []
        )
        if staff_only or new.customer_id not in (None, actor.customer_id):
            raise Forbidden(_("a customer opens tickets only for their own account, without staff fields"))
        customer_id = actor.customer_id
        channel = (
            channel if channel in (TicketChannel.PORTAL, TicketChannel.WEB_FORM) else TicketChannel.PORTAL
        )
    elif actor.role is Role.ENGINEER:
        if not new.order_ids:
            raise Invalid(
                _("an engineer opens a ticket about one of their jobs: name the order"),
                errors={"order_ids": ["required"]},
            )
        first = orders.get_or_raise(session, actor=actor, order_id=new.order_ids[0])
        customer_id = first.customer_id
        channel = TicketChannel.ENGINEER_APP
    else:
        require_staff(actor, _("Your role (%(role)s) may not open tickets (allowed: %(allowed)s)."))
        if new.customer_id is not None:
            customer_id = customers.get_or_raise(session, actor=actor, customer_id=new.customer_id).id
        elif new.sender is not None:
            found = recognition.recognise(
                session,
                actor=actor,
                sender=new.sender,
                channel=(channel or TicketChannel.API).value,
                phone_region=phone_region,
            )
            customer_id, contact, needs_review = found.customer.id, found.contact, found.needs_review
        else:
            raise Invalid(
                _("say whose ticket it is: a customer id, or who wrote (email, phone or external id)"),
                errors={"customer_id": ["give customer_id or sender"]},
            )
        channel = channel or TicketChannel.API
    assert customer_id is not None
    if new.site_id is not None:
        site = session.get(Site, new.site_id)
        if site is None or site.customer_id != customer_id:
            raise Invalid(
                _("site %(id)s is not one of this customer's sites", id=new.site_id),
                errors={"site_id": ["not a site of the ticket's customer"]},
            )
    category_or_raise(session, new.category_id)
    if new.team_id is not None:
        routing.get_team_or_raise(session, actor=actor, team_id=new.team_id)
    linked = [
        _order_of_customer(session, actor=actor, order_id=oid, customer_id=customer_id)
        for oid in dict.fromkeys(new.order_ids)
    ]
    site_id = new.site_id if new.site_id is not None else (linked[0].site_id if linked else None)
    ticket = Ticket(
        kind=new.kind,
        channel=channel,
        status=TicketStatus.NEW,
        priority=new.priority or Priority.NORMAL,
        subject=subject,
        category_id=new.category_id,
        customer_id=customer_id,
        contact_id=contact.id if contact is not None else None,
        site_id=site_id,
        team_id=new.team_id,
        tags=_tags(new.tags),
        order_links=[TicketOrder(order_id=o.id) for o in linked],
    )
    session.add(ticket)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        action="created",
        after=events.snapshot(ticket, AUDITED) | {"channel": channel.value, "customer_id": customer_id},
        payload={"order_ids": ticket.order_ids, "needs_review": needs_review, **new.extra},
    )
    from dispatch.tickets import conversation

    conversation.first_message(
        session,
        actor=actor,
        ticket=ticket,
        body=body,
        contact_id=ticket.contact_id,
        external_id=new.external_id,
        from_customer=new.from_customer and actor.role is not Role.ENGINEER,
    )
    routing.route(session, actor=actor, ticket=ticket, given=given)
    wake.request(session, ticket.team_id)
    return ticket


def _order_of_customer(session: Session, *, actor: Actor, order_id: int, customer_id: int) -> Order:
    order = orders.get(session, actor=actor, order_id=order_id)
    if order is None or order.customer_id != customer_id:
        raise Invalid(
            _("order %(id)s is not one of this customer's orders", id=order_id),
            errors={"order_ids": [f"order {order_id} is not the ticket's customer's"]},
        )
    return order


# --- edit, status, assignment ------------------------------------------------------------------

EDITABLE = ("subject", "priority", "kind", "category_id", "site_id", "tags", "sla_policy_id")


def update(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Ticket:
    """Change a ticket's subject, priority, kind, category, site, tags or SLA policy (staff)."""
    ticket = get_or_raise(session, actor=actor, ticket_id=ticket_id)
    require_staff(actor, _("Your role (%(role)s) may not edit tickets (allowed: %(allowed)s)."))
    check_version(ticket, expected_version)
    if ticket.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: it can no longer change", number=ticket.number),
            errors={"current_status": ticket.status.value},
        )
    if "category_id" in changes:
        category_or_raise(session, changes["category_id"])
    if changes.get("site_id") is not None:
        site = session.get(Site, changes["site_id"])
        if site is None or site.customer_id != ticket.customer_id:
            raise Invalid(
                _("site %(id)s is not one of this customer's sites", id=changes["site_id"]),
                errors={"site_id": ["not a site of the ticket's customer"]},
            )
    with recording(session, actor=actor, ticket=ticket, action="updated"):
        for name in EDITABLE:
            if name not in changes:
                continue
            value = changes[name]
            if name == "subject":
                value = _text(
                    value, "subject", MAX_SUBJECT, _("give the ticket a subject (1 to 300 characters)")
                )
            if name == "tags":
                value = _tags(value)
            setattr(ticket, name, value)
    return ticket


def change_status(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    expected_version: int | None,
    status: TicketStatus,
    reason: str | None = None,
) -> Ticket:
    """Move the ticket to ``status`` (open, pending, on hold, resolved, reopened, closed); 409 names both states."""
    ticket = get_or_raise(session, actor=actor, ticket_id=ticket_id)
    require_staff(actor, _("Your role (%(role)s) may not change a ticket's status (allowed: %(allowed)s)."))
    check_version(ticket, expected_version)
    action = states.ACTION_FOR_TARGET.get(status)
    if action is None:  # "new" is where tickets start, never where one goes back to
        raise Conflict(
            _("a ticket never goes back to new: open it, or reopen it once resolved"),
            errors={"current_status": ticket.status.value, "target_status": status.value},
        )
    set_status(
        session, actor=actor, ticket=ticket, action=action, via="agent", reason=(reason or "").strip() or None
    )
    return ticket


def _agent_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in STAFF:
        raise Invalid(
            _("user %(id)s cannot take tickets", id=user_id),
            errors={"assignee_id": ["only active admins, dispatchers and agents take tickets"]},
        )
    return user


def give_to(
    session: Session,
    *,
    actor: Actor,
    ticket: Ticket,
    user_id: int,
    by: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Assign the ticket to an agent and log ``assigned``; the first agent becomes the owner of record."""
    with recording(session, actor=actor, ticket=ticket, action="assigned") as logged:
        ticket.assignee_id = user_id
        if ticket.owner_id is None:
            ticket.owner_id = user_id
        logged["by"] = by
        logged.update(payload or {})


def assign(
    session: Session, *, actor: Actor, ticket_id: int, expected_version: int | None, assignee_id: int | None
) -> Ticket:
    """Give the ticket to an agent of its team by hand (or take it off them with None)."""
    ticket = get_or_raise(session, actor=actor, ticket_id=ticket_id)
    require_staff(actor, _("Your role (%(role)s) may not assign tickets (allowed: %(allowed)s)."))
    check_version(ticket, expected_version)
    if ticket.status in states.DONE:
        raise Conflict(
            _(
                "ticket %(number)s is %(status)s: only a ticket still being worked on is assigned",
                number=ticket.number,
                status=status_word(ticket.status),
            ),
            errors={"current_status": ticket.status.value},
        )
    if assignee_id is None:
        if ticket.assignee_id is not None:
            with recording(session, actor=actor, ticket=ticket, action="unassigned"):
                ticket.assignee_id = None
            wake.request(session, ticket.team_id)
        return ticket
    _agent_user(session, assignee_id)
    if ticket.team_id is not None:
        routing.check_member(session, team_id=ticket.team_id, user_id=assignee_id)
    if ticket.assignee_id == assignee_id:
        return ticket
    agent = session.get(DeskAgent, assignee_id)
    load = routing.loads(session, [assignee_id])[assignee_id]
    over = agent is not None and load.count >= agent.capacity
    give_to(
        session,
        actor=actor,
        ticket=ticket,
        user_id=assignee_id,
        by="hand",
        payload={"over_capacity": over} if over else None,
    )
    return ticket


def close_resolved(
    session: Session, *, older_than: timedelta, now: datetime | None = None, limit: int = 500
) -> int:
    """Close tickets resolved longer ago than ``older_than`` (housekeeping); returns how many."""
    cutoff = (now or utcnow()) - older_than
    stmt = (
        select(Ticket)
        .where(Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at <= cutoff)
        .order_by(Ticket.resolved_at)
        .limit(limit)
    )
    closed = 0
    for ticket in list(session.scalars(stmt)):
        set_status(session, actor=SYSTEM, ticket=ticket, action="close", via="auto_close")
        closed += 1
    return closed


# --- lists and queues --------------------------------------------------------------------------

QUEUES = ("mine", "team", "unassigned")


@dataclass(frozen=True)
class CursorPage:
    """A page of tickets and the cursor of the next one (None on the last page)."""

    items: list[Ticket]
    next_cursor: int | None


def _queue(stmt: Select[Any], session: Session, actor: Actor, queue: str) -> Select[Any]:
    if queue == "mine":
        return stmt.where(Ticket.assignee_id == (actor.user_id or 0))
    if queue == "team":
        return stmt.where(Ticket.team_id.in_(routing.team_ids_of(session, actor.user_id) or [0]))
    return stmt.where(Ticket.assignee_id.is_(None))


def filtered(
    session: Session,
    *,
    actor: Actor,
    queue: str | None = None,
    status: Sequence[TicketStatus] = (),
    team_id: int | None = None,
    assignee_id: int | None = None,
    kind: Sequence[TicketKind] = (),
    priority: Sequence[Priority] = (),
    channel: Sequence[TicketChannel] = (),
    customer_id: int | None = None,
    category_id: int | None = None,
    q: str | None = None,
) -> Select[Any]:
    """The tickets the actor may see, in a queue and/or by filters (queues default to work not done)."""
    stmt = visible(select(Ticket), actor)
    if queue is not None:
        if queue not in QUEUES:
            raise Invalid(
                _("unknown queue %(queue)s", queue=queue), errors={"queue": [f"one of {', '.join(QUEUES)}"]}
            )
        require_staff(actor, _("Your role (%(role)s) may not work the desk's queues (allowed: %(allowed)s)."))
        stmt = _queue(stmt, session, actor, queue)
        if not status:
            status = sorted(states.WORKING)
    if status:
        stmt = stmt.where(Ticket.status.in_(list(status)))
    if kind:
        stmt = stmt.where(Ticket.kind.in_(list(kind)))
    if priority:
        stmt = stmt.where(Ticket.priority.in_(list(priority)))
    if channel:
        stmt = stmt.where(Ticket.channel.in_(list(channel)))
    for column, value in (
        (Ticket.team_id, team_id),
        (Ticket.assignee_id, assignee_id),
        (Ticket.customer_id, customer_id),
        (Ticket.category_id, category_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if q and q.strip():
        number = parse_number(q)
        match = Ticket.subject.ilike(f"%{q.strip()}%")
        stmt = stmt.where(match | (Ticket.id == number) if number is not None else match)
    return stmt


def list_tickets(
    session: Session,
    *,
    actor: Actor,
    cursor: int | None = None,
    limit: int = 50,
    oldest_first: bool = False,
    **filters: Any,
) -> CursorPage:
    """One page of tickets, newest first (or oldest first): keyset on the id, no count of the whole list."""
    stmt = filtered(session, actor=actor, **filters)
    if cursor is not None:
        stmt = stmt.where(Ticket.id > cursor if oldest_first else Ticket.id < cursor)
    stmt = stmt.order_by(Ticket.id.asc() if oldest_first else Ticket.id.desc()).limit(limit + 1)
    items = list(session.scalars(stmt))
    more = len(items) > limit
    items = items[:limit]
    return CursorPage(items=items, next_cursor=items[-1].id if more and items else None)


@dataclass(frozen=True)
class QueueCount:
    """How many tickets wait in a queue, counted up to :data:`COUNT_CAP` (``capped`` past it)."""

    name: str
    count: int
    capped: bool
    team_id: int | None = None


def _capped(session: Session, stmt: Select[Any]) -> tuple[int, bool]:
    limited = stmt.with_only_columns(Ticket.id).order_by(None).limit(COUNT_CAP + 1).subquery()
    n = session.scalar(select(func.count()).select_from(limited)) or 0
    return min(n, COUNT_CAP), n > COUNT_CAP


def queue_counts(session: Session, *, actor: Actor) -> list[QueueCount]:
    """The desk's queue counts for the actor: mine, my teams', unassigned, and each of my teams."""
    require_staff(actor, _("Your role (%(role)s) may not work the desk's queues (allowed: %(allowed)s)."))
    found = []
    for queue in QUEUES:
        n, capped = _capped(session, filtered(session, actor=actor, queue=queue))
        found.append(QueueCount(queue, n, capped))
    for team_id in routing.team_ids_of(session, actor.user_id):
        stmt = filtered(session, actor=actor, team_id=team_id, status=sorted(states.WORKING))
        n, capped = _capped(session, stmt)
        found.append(QueueCount("team", n, capped, team_id))
    return found


def timeline(session: Session, *, actor: Actor, ticket_id: int) -> list[Event]:
    """Everything that happened to the ticket and to its linked orders, oldest first (staff, engineers)."""
    ticket = get_or_raise(session, actor=actor, ticket_id=ticket_id)
    if actor.role is Role.CUSTOMER:
        raise Forbidden(_("customers follow their ticket's conversation; the timeline is for staff"))
    return events.for_ticket(session, ticket_id=ticket.id, order_ids=ticket.order_ids)
