"""Complaint attribution in the reports: complaints resolved in the day, by root cause and by who was
responsible (a complaint cannot be resolved without both, so the day it is resolved is the day its
attribution is known). Registered through ``dispatch.reports.figures.EXTENSIONS``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.complaints.models import Complaint
from dispatch.i18n import _
from dispatch.reports.figures import Audience, Day, Figure, Measure, Reading, register
from dispatch.reports.measures import pooled
from dispatch.tickets.models import Ticket, TicketKind


def attribution(session: Session, day: Day) -> list[Measure]:
    """Complaints resolved in the day, in all, by root cause and by the kind of party responsible."""
    stmt = (
        select(Complaint.cause_id, Complaint.responsible)
        .join(Ticket, Ticket.id == Complaint.ticket_id)
        .where(
            Ticket.kind == TicketKind.COMPLAINT, Ticket.resolved_at >= day.start, Ticket.resolved_at < day.end
        )
    )
    rows = session.execute(stmt)
    return pooled(
        [({"root_cause": cause, "responsible": who}, 1, 0) for cause, who in rows],
        ("root_cause", "responsible"),
    )


register(
    Figure(
        "complaints",
        _("Complaints resolved, by root cause and responsibility"),
        "tickets",
        Reading.COUNT,
        ("all", "root_cause", "responsible"),
        Audience.DESK,
        attribution,
    )
)
