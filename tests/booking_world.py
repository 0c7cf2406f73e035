"""A small booking world: engineers with shifts on a day a few days ahead, a customer who can log in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_jwt_extended import create_access_token
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Role
from dispatch.catalog import service as catalog
from dispatch.engineers import service as engineers
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.shifts import service as shifts
from dispatch.users import service as users
from tests.factories import PASSWORD, TZ, make_catalog, make_customer, make_site, make_user

BOLTON = (53.5780, -2.4290)
STOCKPORT = (53.4106, -2.1575)
DIDSBURY = (53.4170, -2.2310)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Europe/London) time on ``day``, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def days_ahead(n: int) -> date:
    """The local date ``n`` days from today."""
    return datetime.now(UTC).astimezone(ZoneInfo(TZ)).date() + timedelta(days=n)


@dataclass
class BookingWorld:
    """Ids by name and bearer headers by role."""

    day: date
    ids: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


def build(
    session: Session,
    app: Any,
    *,
    day: date,
    engineers_count: int = 1,
    shift_hours: tuple[int, int] = (8, 18),
    long_job: bool = False,
) -> BookingWorld:
    """Gas engineers with shifts on ``day``, a customer user with a site, a dispatcher and an agent."""
    w = BookingWorld(day=day)
    w.ids.update(make_catalog(session))
    if long_job:
        w.ids["long"] = catalog.create_type(
            session,
            actor=SYSTEM,
            code="boiler-install",
            name="Boiler install",
            default_duration_s=5400,
            skills=["gas"],
        ).id
    team = engineers.create_team(session, actor=SYSTEM, code="north", name="North team", time_zone=TZ)
    for i in range(engineers_count):
        eng = engineers.create(
            session,
            actor=SYSTEM,
            name=["Freya Jones", "Leo Smith", "Ivy Brown"][i],
            skills=["gas"],
            team_id=team.id,
            home_latitude=53.48,
            home_longitude=-2.24,
        )
        w.ids[f"e{i + 1}"] = eng.id
        shifts.create(
            session,
            actor=SYSTEM,
            engineer_id=eng.id,
            starts_at=local(day, shift_hours[0]),
            ends_at=local(day, shift_hours[1]),
            default_time_zone=TZ,
        )
    w.ids["c1"] = make_customer(session, "Grace Hall", "grace@example.com")
    w.ids["s1"] = make_site(session, w.ids["c1"], "12 Mauldeth Road, Withington", 53.4330, -2.2290)
    w.ids["c2"] = make_customer(session, "Oscar Patel", "oscar@example.com")
    w.ids["s2"] = make_site(session, w.ids["c2"], "3 Deansgate, Bolton", *BOLTON)
    people = {
        "customer": make_user(session, Role.CUSTOMER, "grace@example.com", customer_id=w.ids["c1"]),
        "customer2": make_user(session, Role.CUSTOMER, "oscar@example.com", customer_id=w.ids["c2"]),
        "dispatcher": make_user(session, Role.DISPATCHER, "dispatcher@example.com"),
        "agent": make_user(session, Role.AGENT, "agent@example.com"),
    }
    session.flush()
    with app.app_context():
        for role, user in people.items():
            w.ids[f"user_{role}"] = user.id
            token = create_access_token(identity=user, additional_claims={"role": user.role.value})
            w.headers[role] = {"Authorization": f"Bearer {token}"}
    return w


def planned_order(
    session: Session,
    w: BookingWorld,
    *,
    site: str,
    window: tuple[datetime, datetime],
    start: datetime,
    engineer: str,
) -> int:
    """An order already on an engineer's route (scheduled at ``start``)."""
    order = orders.create(
        session,
        actor=SYSTEM,
        customer_id=w.ids["c2"],
        site_id=w.ids[site],
        service_type_id=w.ids["boiler-service"],
        time_windows=[orders.Window(*window)],
    )
    actions.assign(
        session,
        actor=SYSTEM,
        order_id=order.id,
        expected_version=None,
        engineer_id=w.ids[engineer],
        scheduled_start=start,
    )
    return order.id


def committed(app: Any, fill: Any) -> Any:
    """Run ``fill(session)`` in a session of the app's database and commit it."""
    session = app.extensions["dispatch.db"].sessions()
    try:
        result = fill(session)
        session.commit()
        return result
    finally:
        session.close()


__all__ = ["PASSWORD", "BookingWorld", "build", "committed", "days_ahead", "local", "planned_order", "users"]
