"""The clock rows of tickets: kept up to date from the event log, rebuilt from it, read with time left.

:func:`refresh` runs after every ticket event (see :mod:`dispatch.sla.hooks`): it derives the
ticket's clocks from its events (:mod:`dispatch.sla.timeline`) and writes the differences. It never
clears a warning or a breach the scan has marked (the scan's event may not be visible to this
transaction yet); :func:`rebuild` writes exactly what the log says, and :func:`differences` compares.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, require_role
from dispatch.calendars import business
from dispatch.calendars import service as calendars
from dispatch.db import utcnow
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.sla import timeline
from dispatch.sla.models import SlaClock
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket

MARKS = ("warned_at", "breached_at")


def derived(session: Session, ticket_id: int) -> list[timeline.ClockRow]:
    """The ticket's clocks as its event log has them."""
    events = session.scalars(select(Event).where(Event.ticket_id == ticket_id).order_by(Event.id))
    return timeline.derive(
        timeline.facts(events), lambda calendar_id: calendars.business_calendar(session, calendar_id)
    )


def rows_of(session: Session, ticket_id: int) -> list[SlaClock]:
    """The ticket's stored clock rows, in the order they started."""
    stmt = select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.started_at, SlaClock.id)
    return list(session.scalars(stmt))


def _write(session: Session, ticket_id: int, rows: Sequence[timeline.ClockRow], *, exact: bool) -> None:
    stored = {clock.key: clock for clock in rows_of(session, ticket_id)}
    for row in rows:
        values = row.columns()
        clock = stored.pop(row.key, None)
        if clock is None:
            session.add(SlaClock(ticket_id=ticket_id, **values))
            continue
        for name, value in values.items():
            if not exact and name in MARKS and value is None:
                continue  # a mark the scan set stays, even before its event is visible here
            if getattr(clock, name) != value:
                setattr(clock, name, value)
    for gone in stored.values():
        session.delete(gone)
    session.flush()


def refresh(session: Session, ticket_id: int) -> None:
    """Bring the ticket's clock rows in line with its events (after each change)."""
    _write(session, ticket_id, derived(session, ticket_id), exact=False)


def rebuild(session: Session, ticket_id: int) -> None:
    """Write the ticket's clock rows exactly as its event log has them."""
    _write(session, ticket_id, derived(session, ticket_id), exact=True)


def differences(session: Session, ticket_id: int) -> list[str]:
    """How the stored rows differ from what the event log says (empty: the cache is right)."""
    want = {row.key: row.columns() for row in derived(session, ticket_id)}
    have = {clock.key: clock for clock in rows_of(session, ticket_id)}
    found = [f"{key}: missing" for key in sorted(set(want) - set(have))]
    found += [f"{key}: not in the log" for key in sorted(set(have) - set(want))]
    for key in sorted(set(want) & set(have)):
        for name, value in want[key].items():
            if getattr(have[key], name) != value:
                found.append(f"{key}.{name}: stored {getattr(have[key], name)!r}, log {value!r}")
    return found


def tickets_with_clocks(session: Session, *, open_only: bool = False, batch: int = 500) -> Iterator[int]:
    """Ids of tickets that have clocks (or a policy decision), in batches, for rebuilds."""
    last = 0
    while True:
        stmt = select(Ticket.id).where(Ticket.id > last, Ticket.sla_match.is_not(None))
        if open_only:
            stmt = stmt.where(Ticket.closed_at.is_(None))
        ids = list(session.scalars(stmt.order_by(Ticket.id).limit(batch)))
        if not ids:
            return
        yield from ids
        last = ids[-1]


def tickets_on_calendar(session: Session, calendar_id: int, *, after: int = 0, limit: int = 500) -> list[int]:
    """Tickets with a running clock counted in the calendar (recomputed when it changes)."""
    stmt = (
        select(SlaClock.ticket_id)
        .where(SlaClock.calendar_id == calendar_id, SlaClock.stopped_at.is_(None), SlaClock.ticket_id > after)
        .distinct()
        .order_by(SlaClock.ticket_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# --- reading clocks with the time they have left ----------------------------------------------


@dataclass(frozen=True)
class ClockView:
    """A clock and how it stands now: business and wall time left (negative once overdue)."""

    clock: SlaClock
    state: str
    breached: bool
    business_seconds_used: int
    business_seconds_left: int
    wall_seconds_left: int | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.clock, name)


def view(clock: SlaClock, calendar: business.Calendar, now: datetime) -> ClockView:
    """How a clock stands at ``now``."""
    until = clock.stopped_at or clock.paused_since or now
    used = business.elapsed(calendar, clock.started_at, max(until, clock.started_at)) - clock.paused_s
    left = clock.target_s - used
    wall = None
    if clock.stopped_at is None and clock.due_at is not None:
        wall = int((clock.due_at - now).total_seconds())
    breached = clock.breached_at is not None or left < 0
    return ClockView(clock, clock.state, breached, used, left, wall)


@dataclass(frozen=True)
class TicketClocks:
    """A ticket's policy, why it was chosen, and its clocks."""

    ticket_id: int
    policy_id: int | None
    match: dict[str, Any] | None
    clocks: list[ClockView]


def for_ticket(
    session: Session, *, actor: Actor, ticket_id: int, now: datetime | None = None
) -> TicketClocks:
    """The ticket's clocks with the time they have left, for staff."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read a ticket's SLA clocks (allowed: %(allowed)s).")
    )
    moment = now or utcnow()
    views = []
    known: dict[int, business.Calendar] = {}
    for clock in rows_of(session, ticket.id):
        if clock.calendar_id not in known:
            known[clock.calendar_id] = calendars.business_calendar(session, clock.calendar_id)
        views.append(view(clock, known[clock.calendar_id], moment))
    return TicketClocks(ticket.id, ticket.sla_policy_id, ticket.sla_match, views)
