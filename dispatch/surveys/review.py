"""A low score opens a review ticket for the team lead, linked to the survey and to what it rates."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.access import SYSTEM
from dispatch.i18n import _
from dispatch.orders.models import Order, Priority
from dispatch.routing.models import DeskTeam
from dispatch.surveys.models import Survey
from dispatch.surveys.service import REVIEW_TAG
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind


def open_review(session: Session, *, survey: Survey) -> Ticket:
    """Open a high-priority complaint ticket about a 1-2 score, given to the team's lead where known.

    A visit's review links its order; a ticket's review links that ticket's orders and names the
    ticket; both name the survey. The team is the one that resolved the rated ticket (else the
    routing rules choose).
    """
    comment = survey.comment or str(_("(no comment)"))
    if survey.order_id is not None:
        order = session.get(Order, survey.order_id)
        assert order is not None
        subject = _("Low rating %(score)s/5 for visit %(number)s", score=survey.score, number=order.number)
        order_ids = [order.id]
        site_id: int | None = order.site_id
        about = order.number
    else:
        rated = session.get(Ticket, survey.ticket_id)
        assert rated is not None
        subject = _("Low rating %(score)s/5 for request %(number)s", score=survey.score, number=rated.number)
        order_ids = list(rated.order_ids)
        site_id = rated.site_id
        about = rated.number
    body = _(
        "Survey %(id)s about %(about)s was answered with %(score)s of 5. The customer wrote: %(comment)s",
        id=survey.id,
        about=about,
        score=survey.score,
        comment=comment,
    )
    new = tickets.NewTicket(
        kind=TicketKind.COMPLAINT,
        subject=str(subject),
        body=str(body),
        channel=TicketChannel.API,
        customer_id=survey.customer_id,
        site_id=site_id,
        priority=Priority.HIGH,
        team_id=survey.team_id,
        tags=[REVIEW_TAG],
        order_ids=order_ids,
        from_customer=False,
        extra={"opened_by": "low_rating", "survey_id": survey.id, "about": about},
    )
    ticket = tickets.create(session, actor=SYSTEM, new=new)
    team = session.get(DeskTeam, ticket.team_id) if ticket.team_id is not None else None
    leads = team.lead_ids if team is not None else []
    if leads and ticket.assignee_id is None:
        tickets.give_to(
            session,
            actor=SYSTEM,
            ticket=ticket,
            user_id=leads[0],
            by="low_rating",
            payload={"as": "team_lead"},
        )
    return ticket
