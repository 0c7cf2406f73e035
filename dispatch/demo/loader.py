"""Load the generated city into the database through the same services the API uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM, Role
from dispatch.catalog import service as catalog
from dispatch.customers import service as customers
from dispatch.customers.models import CustomerTier
from dispatch.demo import cities, desk
from dispatch.engineers import service as engineers
from dispatch.orders import service as orders
from dispatch.orders.models import Channel, Priority
from dispatch.shifts import service as shifts
from dispatch.sites import service as sites
from dispatch.sites.models import Site
from dispatch.sla import demo as sla_demo
from dispatch.users import service as users
from dispatch.users.models import User
from optimizer.datasets.city import City


@dataclass(frozen=True)
class DemoLogin:
    """A demo account (demo passwords are public: the demo refuses to run in production)."""

    role: str
    email: str
    password: str
    who: str


DEMO_LOGINS = (
    DemoLogin("admin", "admin@example.com", "demo-admin-1", "Ada Admin"),
    DemoLogin("dispatcher", "dispatcher@example.com", "demo-dispatch-1", "Dev Dispatcher"),
    DemoLogin("agent", "agent@example.com", "demo-agent-1", "Ava Agent"),
    DemoLogin("engineer", "engineer@example.com", "demo-engineer-1", "the first engineer"),
    DemoLogin("customer", "customer@example.com", "demo-customer-1", "the first customer"),
)


SHIFT_DAYS = 5
"""Working days the demo's engineers have shifts on: the demo day and the ones after it, so that
customers can move a booking to another day."""


def next_working_day(today: date, city: str | None = None) -> date:
    """The city's next working day (Manchester: tomorrow, or Monday when tomorrow is a weekend day)."""
    return cities.get(city).next_working_day(today)


def demo_day(city: str | None = None) -> date:
    """The day the demo plans: the city's next working day after today, in the city's time zone."""
    where = cities.get(city)
    return where.next_working_day(datetime.now(ZoneInfo(where.time_zone)).date())


def already_loaded(session: Session) -> bool:
    """Whether the database already holds users (the loader never loads twice)."""
    return bool(session.scalar(select(func.count()).select_from(User)))


def loaded_city(session: Session) -> str | None:
    """Which demo city the database holds (by its sites' country), or None."""
    code = session.scalar(select(Site.country_code).order_by(Site.id).limit(1))
    return next((c.key for c in cities.CITIES.values() if c.country_code == code), None)


def demo_city(session: Session) -> str | None:
    """The demo city a database holds when it was loaded by the demo loader (its logins are there),
    else None: a company's own data in China or England is not taken for a demo."""
    if not inspect(session.get_bind()).has_table(User.__tablename__):
        return None
    demo = session.scalar(select(User.id).where(User.email == DEMO_LOGINS[0].email).limit(1))
    return loaded_city(session) if demo is not None else None


def load(
    session: Session,
    *,
    orders_count: int = 200,
    seed: int = 7,
    day: date | None = None,
    shift_days: int = SHIFT_DAYS,
    city_name: str | None = None,
) -> list[DemoLogin]:
    """Create the city's catalog, teams, engineers, customers, sites, the day's orders and logins.

    ``city_name`` is one of :data:`dispatch.demo.cities.NAMES` (Manchester when None). The engineers
    work the same shifts on ``shift_days`` of the city's working days from ``day`` on.
    """
    where = cities.get(city_name)
    city = where.generate(orders_count, seed=seed, day=day or demo_day(where.key))
    actor = SYSTEM
    for skill in city.skills:
        catalog.create_skill(session, actor=actor, code=skill.code, name=skill.name)
    type_ids: dict[str, int] = {}
    for st in city.service_types:
        type_ids[st.code] = catalog.create_type(
            session,
            actor=actor,
            code=st.code,
            name=st.name,
            default_duration_s=st.duration_s,
            skills=st.skills,
            photos_required=st.photos_required,
            signature_required=st.signature_required,
            min_photos=2 if st.photos_required else 0,
        ).id
    team_ids = {
        t.code: engineers.create_team(
            session,
            actor=actor,
            code=t.code,
            name=t.name,
            region=t.region,
            time_zone=city.time_zone,
        ).id
        for t in city.teams
    }
    engineer_ids = _load_engineers(session, city, team_ids, where.working_days(city.day, shift_days))
    customer_ids: dict[str, int] = {}
    for c in city.customers:
        customer_ids[c.ref] = customers.create(
            session,
            actor=actor,
            name=c.name,
            email=c.email,
            phone=c.phone,
            external_id=c.ref,
            tier=CustomerTier(c.tier),
        ).id
    site_ids: dict[str, int] = {}
    for s in city.sites:
        site_ids[s.ref] = sites.create(
            session,
            actor=actor,
            customer_id=customer_ids[s.customer_ref],
            address=s.address,
            latitude=s.point.lat,
            longitude=s.point.lon,
            access_notes=s.access_notes,
            city=where.city,
            country_code=where.country_code,
            geocoder=None,
            default_time_zone=city.time_zone,
        ).id
    order_ids: list[int] = []
    for o in city.orders:
        order = orders.create(
            session,
            actor=actor,
            customer_id=customer_ids[o.customer_ref],
            site_id=site_ids[o.site_ref],
            service_type_id=type_ids[o.service_type],
            duration_s=o.duration_s,
            priority=Priority(o.priority),
            channel=Channel.WEB if o.ref[-1] in "02468" else Channel.PHONE,
            description=o.description,
            external_ref=o.ref,
            time_windows=[orders.Window(city.at(a), city.at(b)) for a, b in o.windows],
        )
        order_ids.append(order.id)
    first_engineer = city.engineers[0]
    first_customer = city.customers[0]
    names = {**where.staff, "engineer": first_engineer.name, "customer": first_customer.name}
    logins = [DemoLogin(x.role, x.email, x.password, names.get(x.role, x.who)) for x in DEMO_LOGINS]
    user_ids: dict[str, int] = {}
    for login in logins:
        role = Role(login.role)
        user_ids[login.role] = users.create(
            session,
            actor=actor,
            email=login.email,
            password=login.password,
            full_name=login.who,
            role=role,
            engineer_id=engineer_ids[first_engineer.ref] if role is Role.ENGINEER else None,
            customer_id=customer_ids[first_customer.ref] if role is Role.CUSTOMER else None,
        ).id
    session.flush()
    desk.load(
        session,
        agent_user_id=user_ids["agent"],
        customer_ids=[customer_ids[c.ref] for c in city.customers],
        order_ids=order_ids,
        time_zone=city.time_zone,
        script=where.desk,
    )
    session.flush()
    sla_demo.load(session, office=where.key)
    session.flush()
    return logins


def _load_engineers(
    session: Session, city: City, team_ids: dict[str, int], days: list[date]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for e in city.engineers:
        ids[e.ref] = engineers.create(
            session,
            actor=SYSTEM,
            name=e.name,
            email=e.email,
            phone=e.phone,
            team_id=team_ids[e.team],
            skills=e.skills,
            home_address=e.home_address,
            home_latitude=e.home.lat,
            home_longitude=e.home.lon,
        ).id
    zone = ZoneInfo(city.time_zone)
    for day in days:
        midnight = datetime.combine(day, time(0), tzinfo=zone)

        def at(seconds: int, midnight: datetime = midnight) -> datetime:
            return midnight + timedelta(seconds=seconds)  # local wall time, whatever the clocks do

        for sh in city.shifts:
            shifts.create(
                session,
                actor=SYSTEM,
                engineer_id=ids[sh.engineer_ref],
                day=day,
                starts_at=at(sh.start_s),
                ends_at=at(sh.end_s),
                break_earliest=at(sh.break_earliest_s),
                break_latest=at(sh.break_latest_s),
                break_duration_s=sh.break_duration_s,
                default_time_zone=city.time_zone,
            )
    return ids
