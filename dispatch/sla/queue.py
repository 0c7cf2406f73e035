"""The about-to-breach queue of the agent desk: tickets whose nearest running clock falls due within
the next N minutes (overdue ones first), nearest first, keyset-paged on the running-clock index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, aliased, joinedload, lazyload

from dispatch.access import STAFF, Actor, require_role
from dispatch.calendars import business
from dispatch.calendars import service as calendars
from dispatch.db import utcnow
from dispatch.errors import Invalid
from dispatch.i18n import _
from dispatch.sla import clocks
from dispatch.sla.models import SlaClock
from dispatch.tickets.models import Ticket

MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Soon:
    """A ticket of the queue and its nearest running clock."""

    ticket: Ticket
    clock: clocks.ClockView


@dataclass(frozen=True)
class SoonPage:
    """One page of the queue and the cursor of the next (None on the last page)."""

    items: list[Soon]
    next_cursor: str | None


def _cursor(text: str | None) -> tuple[datetime, int] | None:
    if not text:
        return None
    try:
        micros, clock_id = text.split(".", 1)
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros)), int(clock_id)
    except (ValueError, OverflowError) as exc:
        raise Invalid(
            _("the cursor is not one this list gave out: start again from the first page"),
            errors={"cursor": ["not a cursor of this list"]},
        ) from exc


def _make_cursor(clock: SlaClock) -> str:
    assert clock.due_at is not None
    micros = (clock.due_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micros}.{clock.id}"


def about_to_breach(
    session: Session,
    *,
    actor: Actor,
    within_minutes: int = 60,
    team_id: int | None = None,
    mine: bool = False,
    include_breached: bool = True,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> SoonPage:
    """Tickets whose nearest running clock is due within ``within_minutes`` (staff), nearest first."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not work the desk's queues (allowed: %(allowed)s).")
    )
    if not 0 <= within_minutes <= MAX_MINUTES:
        raise Invalid(
            _("look ahead 0 to %(most)s minutes", most=MAX_MINUTES),
            errors={"within_minutes": [f"0 to {MAX_MINUTES}"]},
        )
    moment = now or utcnow()
    c, d = aliased(SlaClock), aliased(SlaClock)
    nearer = (
        select(d.id)
        .where(
            d.ticket_id == c.ticket_id,
            d.stopped_at.is_(None),
            d.due_at.is_not(None),
            tuple_(d.due_at, d.id) < tuple_(c.due_at, c.id),
        )
        .exists()
    )
    stmt = (
        select(c, Ticket)
        .join(Ticket, Ticket.id == c.ticket_id)
        .options(lazyload("*"), joinedload(Ticket.team).lazyload("*"))  # the ticket's row and its team only
        .where(
            c.stopped_at.is_(None),
            c.due_at.is_not(None),
            c.due_at <= moment + timedelta(minutes=within_minutes),
            ~nearer,
        )
    )
    if not include_breached:
        stmt = stmt.where(c.due_at > moment)
    if team_id is not None:
        stmt = stmt.where(Ticket.team_id == team_id)
    if mine:
        stmt = stmt.where(Ticket.assignee_id == (actor.user_id or 0))
    after = _cursor(cursor)
    if after is not None:
        stmt = stmt.where(tuple_(c.due_at, c.id) > tuple_(*after))
    rows = session.execute(stmt.order_by(c.due_at, c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    known: dict[int, business.Calendar] = {}
    items = []
    for clock, ticket in rows:
        if clock.calendar_id not in known:
            known[clock.calendar_id] = calendars.business_calendar(session, clock.calendar_id)
        items.append(Soon(ticket, clocks.view(clock, known[clock.calendar_id], moment)))
    return SoonPage(items, _make_cursor(rows[-1][0]) if more and rows else None)
