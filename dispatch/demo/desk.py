"""The demo's service desk: a first-line and a second-line team with agents, categories, a few routing
rules and a handful of tickets in different states, so the desk has something living to show."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Role
from dispatch.complaints import causes as root_causes
from dispatch.customers.models import Customer, CustomerTier
from dispatch.customers.recognition import Sender
from dispatch.demo.desk_scripts import MANCHESTER, DeskScript, DeskTicket
from dispatch.orders.models import Order
from dispatch.quality import service as quality
from dispatch.routing import assign, transfers
from dispatch.routing import service as routing
from dispatch.routing.models import AssignmentStrategy, DeskTier
from dispatch.tickets import categories, conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, TicketChannel, TicketKind, TicketStatus
from dispatch.users import service as users

TZ = "Europe/London"
WEEKDAYS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
EXTRA_AGENTS = MANCHESTER.agents


def load(
    session: Session,
    *,
    agent_user_id: int,
    customer_ids: Sequence[int],
    order_ids: Sequence[int],
    time_zone: str = TZ,
    script: DeskScript = MANCHESTER,
) -> dict[str, int]:
    """Teams, agents, categories, rules and tickets; the demo agent leads the first line.

    The agents work in ``time_zone`` (the city's) and the desk's words are the city's ``script``.
    """
    first_name, second_name, partner_name = script.team_names
    second = routing.create_team(
        session,
        actor=SYSTEM,
        code="second-line",
        name=second_name,
        tier=DeskTier.SECOND_LINE,
        strategy=AssignmentStrategy.LEAST_LOADED,
    )
    first = routing.create_team(
        session,
        actor=SYSTEM,
        code="first-line",
        name=first_name,
        tier=DeskTier.FIRST_LINE,
        strategy=AssignmentStrategy.ROUND_ROBIN,
        escalates_to_id=second.id,
    )
    routing.create_team(
        session, actor=SYSTEM, code="partner-installers", name=partner_name, tier=DeskTier.PARTNER
    )
    teams = {"first": first.id, "second": second.id}
    routing.set_member(
        session,
        actor=SYSTEM,
        team_id=first.id,
        user_id=agent_user_id,
        is_lead=True,
        default_time_zone=time_zone,
    )
    for i, (name, mailbox, team) in enumerate(script.agents):
        user = users.create(
            session,
            actor=SYSTEM,
            email=f"{mailbox}@desk.example.com",
            full_name=name,
            password=secrets.token_urlsafe(16),
            role=Role.AGENT,
        )
        session.flush()
        routing.set_member(
            session,
            actor=SYSTEM,
            team_id=teams[team],
            user_id=user.id,
            is_lead=team == "second" and i == 2,
            default_time_zone=time_zone,
        )
        # One agent keeps office hours (weekdays 08:00-18:00); the others take tickets at any hour.
        hours = WEEKDAYS if i == len(script.agents) - 1 else None
        routing.update_agent(
            session,
            actor=SYSTEM,
            user_id=user.id,
            changes={
                "working_hours": hours,
                "skills": list(script.second_line_skills) if team == "second" else [],
            },
        )
    named = script.categories
    heating = categories.create(session, actor=SYSTEM, name=named["heating"])
    boiler = categories.create(
        session,
        actor=SYSTEM,
        name=named["boiler"],
        parent_id=heating.id,
        skills=list(script.second_line_skills),
    )
    plumbing = categories.create(session, actor=SYSTEM, name=named["plumbing"])
    leak = categories.create(session, actor=SYSTEM, name=named["leak"], parent_id=plumbing.id)
    categories.create(session, actor=SYSTEM, name=named["electrical"])
    categories.create(session, actor=SYSTEM, name=named["appointments"])
    billing = categories.create(session, actor=SYSTEM, name=named["billing"])
    leaks, key_accounts, complaints, the_rest = script.rule_names
    routing.create_rule(
        session,
        actor=SYSTEM,
        name=leaks,
        condition={"field": "subject", "words": list(script.leak_words)},
        actions={"team_id": second.id, "priority": "urgent", "category_id": leak.id, "tags": ["water"]},
    )
    routing.create_rule(
        session,
        actor=SYSTEM,
        name=key_accounts,
        condition={"field": "tier", "in": ["vip", "key_account"]},
        actions={"team_id": second.id, "priority": "high"},
    )
    routing.create_rule(
        session,
        actor=SYSTEM,
        name=complaints,
        condition={"field": "kind", "in": ["complaint"]},
        actions={"team_id": second.id, "tags": ["complaint"]},
    )
    routing.create_rule(
        session,
        actor=SYSTEM,
        name=the_rest,
        condition={"all": []},
        actions={"team_id": first.id},
    )
    c = [customer_ids[i % len(customer_ids)] for i in range(max(6, len(customer_ids)))]  # a tiny city too
    visited = [session.get(Order, oid) for oid in order_ids[:2]]
    about = [o.customer_id for o in visited if o is not None] or c[:2]
    made = [
        _open(
            session,
            c[0],
            TicketKind.FAULT,
            TicketChannel.PHONE,
            script.tickets[0],
            category_id=boiler.id,
        ),
        _open(
            session,
            c[1],
            TicketKind.FAULT,
            TicketChannel.PORTAL,
            script.tickets[1],
        ),
        _open(
            session,
            about[0],
            TicketKind.INQUIRY,
            TicketChannel.EMAIL,
            script.tickets[2],
            order_ids=order_ids[:1] if visited else (),
        ),
        _open(
            session,
            _standard(session, c, start=3),  # escalated below: a key account's starts on the second line
            TicketKind.INQUIRY,
            TicketChannel.EMAIL,
            script.tickets[3],
            category_id=billing.id,
        ),
        _open(
            session,
            about[-1],
            TicketKind.COMPLAINT,
            TicketChannel.PHONE,
            script.tickets[4],
            order_ids=order_ids[1:2] if len(about) > 1 else (),
        ),
        _open(
            session,
            c[5],
            TicketKind.VISIT_REQUEST,
            TicketChannel.WEB_FORM,
            script.tickets[5],
            category_id=heating.id,
        ),
    ]
    stranger = tickets.create(
        session,
        actor=SYSTEM,
        new=tickets.NewTicket(
            kind=TicketKind.INQUIRY,
            channel=TicketChannel.EMAIL,
            subject=script.stranger.subject,
            body=script.stranger.body,
            sender=Sender(email=script.stranger_sender[0], name=script.stranger_sender[1]),
        ),
    )
    made.append(stranger.id)
    for team_id in teams.values():
        skip: set[int] = set()
        while (outcome := assign.assign_one(session, team_id, skip=skip)) is not None:
            skip.add(outcome.ticket_id)  # the demo assigns in its own transaction, without the queue
    agent = users.actor_for(users.get_or_raise(session, actor=SYSTEM, user_id=agent_user_id))
    conversation.add_message(
        session,
        actor=agent,
        ticket_id=made[0],
        kind=MessageKind.PUBLIC_REPLY,
        body=script.replies[0],
    )
    tickets.change_status(
        session, actor=agent, ticket_id=made[0], expected_version=None, status=TicketStatus.PENDING
    )
    conversation.add_message(
        session,
        actor=agent,
        ticket_id=made[2],
        kind=MessageKind.PUBLIC_REPLY,
        body=script.replies[1],
    )
    tickets.change_status(
        session, actor=agent, ticket_id=made[2], expected_version=None, status=TicketStatus.RESOLVED
    )
    conversation.add_message(
        session,
        actor=agent,
        ticket_id=made[3],
        kind=MessageKind.INTERNAL_NOTE,
        body=script.replies[2],
    )
    transfers.escalate(
        session, actor=agent, ticket_id=made[3], expected_version=None, reason=script.escalation_reason
    )
    for cause, subs in script.root_causes:
        parent = root_causes.create(session, actor=SYSTEM, name=cause)
        for sub in subs:
            root_causes.create(session, actor=SYSTEM, name=sub, parent_id=parent.id)
    for position, (item, weight, critical) in enumerate(script.rubric):
        quality.create_item(
            session, actor=SYSTEM, name=item, weight=weight, critical=critical, position=position
        )
    return {"first": first.id, "second": second.id, "tickets": len(made)}


def _standard(session: Session, customer_ids: Sequence[int], *, start: int) -> int:
    """The first customer from ``start`` on with the standard tier (else the one at ``start``)."""
    for customer_id in customer_ids[start:]:
        customer = session.get(Customer, customer_id)
        if customer is not None and customer.tier is CustomerTier.STANDARD:
            return customer_id
    return customer_ids[start]


def _open(
    session: Session,
    customer_id: int,
    kind: TicketKind,
    channel: TicketChannel,
    text: DeskTicket,
    *,
    category_id: int | None = None,
    order_ids: Sequence[int] = (),
) -> int:
    new = tickets.NewTicket(
        kind=kind,
        channel=channel,
        subject=text.subject,
        body=text.body,
        customer_id=customer_id,
        category_id=category_id,
        order_ids=order_ids,
    )
    return tickets.create(session, actor=SYSTEM, new=new).id
