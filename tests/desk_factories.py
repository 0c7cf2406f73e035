"""Builders of the service desk's test data: teams, agents, categories and tickets, through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_jwt_extended import create_access_token
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Role
from dispatch.routing import service as routing
from dispatch.routing.models import AssignmentStrategy, DeskTier
from dispatch.tickets import categories
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketKind
from dispatch.users import service as users
from tests.factories import TZ, World, make_user


@dataclass
class Desk:
    """Ids by name: teams ``first`` and ``second`` (first escalates to second), agents, categories."""

    ids: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


def agent(session: Session, email: str, *, capacity: int = 10, skills: list[str] | None = None) -> int:
    """A staff user with the agent role and an agent profile; returns the user id."""
    user = make_user(session, Role.AGENT, email)
    session.flush()
    profile = routing.ensure_agent(session, user_id=user.id, default_time_zone=TZ)
    profile.capacity = capacity
    profile.skills = skills or []
    session.flush()
    return user.id


def build_desk(session: Session, world: World | None = None, *, agents: int = 3) -> Desk:
    """Two teams (first line round-robin, second line least-loaded), ``agents`` agents in the first,
    one lead and one agent in the second, two categories (Heating > Boiler, which needs "gas")."""
    desk = Desk()
    second = routing.create_team(
        session,
        actor=SYSTEM,
        code="second",
        name="Second line",
        tier=DeskTier.SECOND_LINE,
        strategy=AssignmentStrategy.LEAST_LOADED,
    )
    first = routing.create_team(
        session,
        actor=SYSTEM,
        code="first",
        name="First line",
        tier=DeskTier.FIRST_LINE,
        strategy=AssignmentStrategy.ROUND_ROBIN,
        escalates_to_id=second.id,
    )
    desk.ids.update(first=first.id, second=second.id)
    for i in range(1, agents + 1):
        uid = agent(session, f"a{i}@desk.example.com")
        routing.set_member(
            session, actor=SYSTEM, team_id=first.id, user_id=uid, is_lead=False, default_time_zone=TZ
        )
        desk.ids[f"a{i}"] = uid
    lead = agent(session, "lead@desk.example.com", skills=["gas"])
    routing.set_member(
        session, actor=SYSTEM, team_id=second.id, user_id=lead, is_lead=True, default_time_zone=TZ
    )
    expert = agent(session, "expert@desk.example.com", skills=["gas"])
    routing.set_member(
        session, actor=SYSTEM, team_id=second.id, user_id=expert, is_lead=False, default_time_zone=TZ
    )
    desk.ids.update(lead=lead, expert=expert)
    heating = categories.create(session, actor=SYSTEM, name="Heating")
    boiler = categories.create(session, actor=SYSTEM, name="Boiler", parent_id=heating.id, skills=["gas"])
    desk.ids.update(heating=heating.id, boiler=boiler.id)
    if world is not None and "user_agent" in world.ids:
        routing.set_member(
            session,
            actor=SYSTEM,
            team_id=first.id,
            user_id=world.ids["user_agent"],
            is_lead=True,
            default_time_zone=TZ,
        )
    session.flush()
    return desk


def open_ticket(session: Session, customer_id: int, subject: str = "No hot water", **kwargs: Any) -> Ticket:
    """A ticket opened by the system for a customer (kind fault unless told)."""
    kwargs.setdefault("kind", TicketKind.FAULT)
    kwargs.setdefault("body", "The boiler shows F28 since this morning.")
    new = tickets.NewTicket(subject=subject, customer_id=customer_id, **kwargs)
    return tickets.create(session, actor=SYSTEM, new=new)


def tokens(app: Any, session: Session, desk: Desk, names: list[str]) -> None:
    """Bearer headers for desk users by name."""
    with app.app_context():
        for name in names:
            user = users.get(session, user_id=desk.ids[name])
            assert user is not None
            token = create_access_token(identity=user, additional_claims={"role": user.role.value})
            desk.headers[name] = {"Authorization": f"Bearer {token}"}


def build_desk_world(session: Session, app: Any, world: World) -> None:
    """The desk beside the role matrix's world, with ids in ``world.ids``.

    ``t1`` is the customer user's ticket, linked to ``o_disp`` (the engineer user's job) and sent to
    the first line; ``t2`` is another customer's; ``t_target`` is where ``t1`` can be merged; ``t_moved``
    was escalated from the first line (whose member the agent user is) to the second; ``rev``/``rev2``
    wait for review; ``img`` is an image sent with a public reply on ``t1``.
    """
    from dispatch.attachments.storage import LocalBlobStore
    from dispatch.customers.recognition import Sender, recognise
    from dispatch.routing import transfers
    from dispatch.tickets import conversation
    from dispatch.tickets.models import MessageKind
    from tests.images import jpeg_bytes

    desk = build_desk(session, world, agents=1)
    for name in ("first", "second", "a1", "lead", "heating", "boiler"):
        world.ids[name] = desk.ids[name]
    world.ids["unused"] = categories.create(session, actor=SYSTEM, name="Unused").id
    world.ids["rule"] = routing.create_rule(
        session,
        actor=SYSTEM,
        name="Faults",
        condition={"field": "kind", "in": ["fault"]},
        actions={"priority": "high"},
    ).id
    t1 = open_ticket(session, world.ids["c1"], order_ids=[world.ids["o_disp"]], team_id=desk.ids["first"])
    world.ids["t1"] = t1.id
    world.ids["t2"] = open_ticket(session, world.ids["c2"], team_id=desk.ids["first"]).id
    world.ids["t_target"] = open_ticket(session, world.ids["c1"], subject="Same boiler").id
    moved = open_ticket(session, world.ids["c1"], subject="Needs second line", team_id=desk.ids["first"])
    transfers.escalate(session, actor=SYSTEM, ticket_id=moved.id, expected_version=None, reason="gas expert")
    world.ids["t_moved"] = moved.id
    for key, email in (("rev", "who@example.org"), ("rev2", "else@example.org")):
        found = recognise(session, actor=SYSTEM, sender=Sender(email=email), channel="email")
        assert found.contact is not None
        world.ids[key] = found.contact.id
    settings = app.config["DISPATCH"]
    store = LocalBlobStore(settings.attachments_folder)
    conversation.upload(
        session,
        store,
        actor=SYSTEM,
        ticket_id=t1.id,
        attachment_id="424242",
        data=jpeg_bytes(),
        max_bytes=settings.attachment_max_bytes,
        max_pixels=settings.attachment_max_pixels,
    )
    conversation.add_message(
        session,
        actor=SYSTEM,
        ticket_id=t1.id,
        kind=MessageKind.PUBLIC_REPLY,
        body="See photo",
        attachment_ids=["424242"],
    )
    world.ids["img"] = 424242
