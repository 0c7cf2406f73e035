"""Complaint attribution in the reports: complaints resolved in the day, by root cause and by who was
responsible (a complaint cannot be resolved without both, so the day it is resolved is the day its
attribution is known). Registered through ``dispatch.reports.figures.EXTENSIONS``."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.complaints.models import Complaint
from dispatch.i18n import _
from dispatch.reports.figures import Audience, Days, Figure, Measure, Reading, one_day, register
from dispatch.reports.measures import pooled
from dispatch.tickets.models import Ticket, TicketKind


def attribution(session: Session, days: Days) -> dict[date, list[Measure]]:
    """Complaints resolved in the day, in all, by root cause and by the kind of party responsible."""
    stmt = (
        select(Ticket.resolved_at, Complaint.cause_id, Complaint.responsible)
        .join(Ticket, Ticket.id == Complaint.ticket_id)
        .where(
            Ticket.kind == TicketKind.COMPLAINT,
            Ticket.resolved_at >= days.start,
            Ticket.resolved_at < days.end,
        )
    )
    items: dict[date, list[tuple[dict[str, object], int, int]]] = defaultdict(list)
    for resolved_at, cause, who in session.execute(stmt):
        day = days.of(resolved_at) if resolved_at else None
        if day is not None:
            items[day].append(({"root_cause": cause, "responsible": who}, 1, 0))
    return {day: pooled(rows, ("root_cause", "responsible")) for day, rows in items.items()}


register(
    Figure(
        "complaints",
        _("Complaints resolved, by root cause and responsibility"),
        "tickets",
        Reading.COUNT,
        ("all", "root_cause", "responsible"),
        Audience.DESK,
        one_day(attribution),
        compute_days=attribution,
    )
)
