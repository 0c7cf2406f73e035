"""Builders of test data, going through the real services (so events and checks apply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_jwt_extended import create_access_token
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Actor, Role
from dispatch.catalog import service as catalog
from dispatch.customers import service as customers
from dispatch.demo import loader
from dispatch.engineers import service as engineers
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.orders.models import Order
from dispatch.planning.models import Plan, PlanStatus
from dispatch.shifts import service as shifts
from dispatch.sites import service as sites
from dispatch.users import service as users
from dispatch.users.models import User

TZ = "Europe/London"
PASSWORD = "correct horse battery"


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    """A UTC time tomorrow (windows must lie in the future)."""
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return base + timedelta(hours=hour, minutes=minute)


def window(start_hour: int, end_hour: int) -> orders.Window:
    """A window tomorrow between two hours (UTC)."""
    return orders.Window(tomorrow_at(start_hour), tomorrow_at(end_hour))


def make_catalog(session: Session) -> dict[str, int]:
    """Two skills and two service types; returns ids by code."""
    gas = catalog.create_skill(session, actor=SYSTEM, code="gas", name="Gas safe")
    elec = catalog.create_skill(session, actor=SYSTEM, code="electrical", name="Electrical")
    boiler = catalog.create_type(
        session,
        actor=SYSTEM,
        code="boiler-service",
        name="Boiler service",
        default_duration_s=3600,
        skills=["gas"],
        signature_required=True,
    )
    socket = catalog.create_type(
        session,
        actor=SYSTEM,
        code="socket-install",
        name="Socket install",
        default_duration_s=2700,
        skills=["electrical"],
    )
    return {"gas": gas.id, "electrical": elec.id, "boiler-service": boiler.id, "socket-install": socket.id}


def make_customer(session: Session, name: str, email: str) -> int:
    """A customer with one site; returns the customer id."""
    return customers.create(session, actor=SYSTEM, name=name, email=email, phone="+44 161 496 0000").id


def make_site(session: Session, customer_id: int, address: str, lat: float, lon: float) -> int:
    """A site with given coordinates."""
    return sites.create(
        session,
        actor=SYSTEM,
        customer_id=customer_id,
        address=address,
        latitude=lat,
        longitude=lon,
        geocoder=None,
        default_time_zone=TZ,
    ).id


def make_engineer(session: Session, name: str, skills: list[str], team_id: int | None = None) -> int:
    """An engineer based in central Manchester."""
    return engineers.create(
        session,
        actor=SYSTEM,
        name=name,
        skills=skills,
        team_id=team_id,
        home_latitude=53.48,
        home_longitude=-2.24,
    ).id


def make_user(
    session: Session,
    role: Role,
    email: str,
    *,
    customer_id: int | None = None,
    engineer_id: int | None = None,
) -> User:
    """A user with the shared test password."""
    return users.create(
        session,
        actor=SYSTEM,
        email=email,
        full_name=email.split("@")[0].title(),
        password=PASSWORD,
        role=role,
        customer_id=customer_id,
        engineer_id=engineer_id,
    )


def make_order(
    session: Session, customer_id: int, site_id: int, service_type_id: int, **kwargs: Any
) -> Order:
    """A new order with one window tomorrow 10:00-12:00 unless told otherwise."""
    kwargs.setdefault("time_windows", [window(10, 12)])
    return orders.create(
        session,
        actor=SYSTEM,
        customer_id=customer_id,
        site_id=site_id,
        service_type_id=service_type_id,
        **kwargs,
    )


def advance(session: Session, order: Order, engineer_id: int, to: str) -> Order:
    """Walk an order along the state machine up to ``to`` (assign, dispatch, accept, travel, check in)."""
    path = ["scheduled", "dispatched", "accepted", "en_route", "on_site"]
    steps = path[: path.index(to) + 1]
    for status in steps:
        v = order.version
        if status == "scheduled":
            order = actions.assign(
                session,
                actor=SYSTEM,
                order_id=order.id,
                expected_version=v,
                engineer_id=engineer_id,
                scheduled_start=order.time_windows[0].starts_at,
            )
        elif status == "dispatched":
            order = actions.dispatch(session, actor=SYSTEM, order_id=order.id, expected_version=v)
        else:
            action = {"accepted": "accept", "en_route": "start_travel", "on_site": "check_in"}[status]
            order = actions.field_action(
                session, actor=SYSTEM, order_id=order.id, expected_version=v, action=action
            )
    return order


@dataclass
class World:
    """What the tests act on; ids by name and a bearer header per role."""

    ids: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def h(self, role: str, **extra: str) -> dict[str, str]:
        """The role's Authorization header, plus any extra headers."""
        return {**self.headers[role], **extra}


def build_world(session: Session, app: Any) -> World:
    """Two customers, three engineers, one user per role, and orders in every open status.

    ``c1``/``s1`` belong to the customer user; ``e1`` is the engineer user. Orders of c1 are
    assigned to e1 at each step of the state machine; ``o_other`` belongs to c2 and e2.
    """
    w = World()
    w.ids.update(make_catalog(session))
    team = engineers.create_team(session, actor=SYSTEM, code="south", name="South team", time_zone=TZ)
    w.ids["team"] = team.id
    w.ids["c1"] = make_customer(session, "Grace Hall", "grace@example.com")
    w.ids["c2"] = make_customer(session, "Oscar Patel", "oscar@example.com")
    w.ids["s1"] = make_site(session, w.ids["c1"], "12 Mauldeth Road, Withington", 53.4330, -2.2290)
    w.ids["s2"] = make_site(session, w.ids["c2"], "4 Chapel Street, Salford", 53.4875, -2.2901)
    w.ids["e1"] = make_engineer(session, "Freya Jones", ["gas", "electrical"], team.id)
    w.ids["e2"] = make_engineer(session, "Leo Smith", ["gas"])
    w.ids["e3"] = make_engineer(session, "Ivy Brown", ["gas", "electrical"], team.id)
    for name, eng in (("sh1", "e1"), ("sh2", "e2")):
        w.ids[name] = shifts.create(
            session,
            actor=SYSTEM,
            engineer_id=w.ids[eng],
            starts_at=tomorrow_at(8),
            ends_at=tomorrow_at(17),
            break_earliest=tomorrow_at(12),
            break_latest=tomorrow_at(14),
            break_duration_s=1800,
            default_time_zone=TZ,
        ).id
    boiler = w.ids["boiler-service"]
    w.ids["o_new"] = make_order(session, w.ids["c1"], w.ids["s1"], boiler).id
    for name, status in (
        ("o_sched", "scheduled"),
        ("o_disp", "dispatched"),
        ("o_acc", "accepted"),
        ("o_route", "en_route"),
        ("o_site", "on_site"),
    ):
        order = make_order(session, w.ids["c1"], w.ids["s1"], boiler)
        w.ids[name] = advance(session, order, w.ids["e1"], status).id
    other = make_order(session, w.ids["c2"], w.ids["s2"], boiler)
    w.ids["o_other"] = advance(session, other, w.ids["e2"], "dispatched").id
    plan = Plan(day=tomorrow_at(12).date(), time_zone=TZ, time_limit_s=5, status=PlanStatus.READY)
    session.add(plan)
    session.flush()
    w.ids["plan"] = plan.id

    people = {
        "admin": make_user(session, Role.ADMIN, "admin@example.com"),
        "dispatcher": make_user(session, Role.DISPATCHER, "dispatcher@example.com"),
        "agent": make_user(session, Role.AGENT, "agent@example.com"),
        "engineer": make_user(session, Role.ENGINEER, "engineer@example.com", engineer_id=w.ids["e1"]),
        "customer": make_user(session, Role.CUSTOMER, "customer@example.com", customer_id=w.ids["c1"]),
    }
    session.flush()
    with app.app_context():
        for role, user in people.items():
            w.ids[f"user_{role}"] = user.id
            token = create_access_token(identity=user, additional_claims={"role": role})
            w.headers[role] = {"Authorization": f"Bearer {token}"}
            w.actors[role] = users.actor_for(user)
    return w


def load_demo_day(app: Any, orders: int, day: date) -> None:
    """The demo city's day (its engineers, shifts, orders and demo logins) in the app's database."""
    session = app.extensions["dispatch.db"].sessions()
    try:
        loader.load(session, orders_count=orders, day=day)
        session.commit()
    finally:
        session.close()


def demo_headers(client: Any, role: str = "dispatcher") -> dict[str, str]:
    """The bearer header of a demo login, got by logging in as a user would."""
    login = next(x for x in loader.DEMO_LOGINS if x.role == role)
    response = client.post("/api/v1/auth/login", json={"email": login.email, "password": login.password})
    return {"Authorization": f"Bearer {response.json['access_token']}"}
