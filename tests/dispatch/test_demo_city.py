"""The seeded demo city: realistic, reproducible, plannable; and it loads through the services."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from dispatch.access import SYSTEM
from dispatch.complaints import causes as root_causes
from dispatch.customers import recognition
from dispatch.demo import desk, loader
from dispatch.models import Customer, Engineer, Order, Shift, Site, User
from dispatch.quality import service as quality
from dispatch.routing.models import DeskTeam, DeskTeamMember
from dispatch.tickets.models import Ticket
from dispatch.users import service as users
from optimizer.datasets.city import BOOKING_WINDOWS, CENTRE, HOUR, NEIGHBOURHOODS, generate_city


def km(a, b):
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


def test_same_seed_same_city_other_seed_other_city():
    assert generate_city(120, seed=3) == generate_city(120, seed=3)
    assert generate_city(120, seed=3).orders != generate_city(120, seed=4).orders


@pytest.mark.parametrize("size", [50, 200, 2000])
def test_sizes_and_staffing(size):
    city = generate_city(size, seed=7)
    assert len(city.orders) == size
    assert len(city.shifts) == len(city.engineers) == max(3, math.ceil(size / 5))
    work = sum(o.duration_s for o in city.orders)
    capacity = sum(s.end_s - s.start_s - s.break_duration_s for s in city.shifts)
    assert 0.5 < work / capacity < 0.7, "busy, with room for travel and urgent work"


def test_customers_live_in_clusters_around_the_centre():
    city = generate_city(2000, seed=7)
    hoods = {name: (lat, lon) for name, lat, lon, *_ in NEIGHBOURHOODS}
    customers = {c.ref: c for c in city.customers}
    for site in city.sites:
        assert km(site.point, CENTRE) < 20
        lat, lon = hoods[customers[site.customer_ref].neighbourhood]
        assert km(site.point, type(CENTRE)(lat, lon)) < 6
    assert len({c.neighbourhood for c in city.customers}) == len(NEIGHBOURHOODS)


def test_every_order_can_be_done_by_someone_and_asks_for_real_windows():
    city = generate_city(400, seed=11)
    skills = [set(e.skills) for e in city.engineers]
    for order in city.orders:
        assert any(set(order.skills) <= s for s in skills), order.ref
        for start, end in order.windows:
            assert (start, end) in BOOKING_WINDOWS or (start, end) == (8 * HOUR, 18 * HOUR)
    assert Counter(len(o.windows) for o in city.orders)[1] > 0.6 * len(city.orders)
    for shift in city.shifts:
        assert shift.start_s <= shift.break_earliest_s < shift.break_latest_s <= shift.end_s
        assert shift.break_duration_s == 1800


def test_loader_puts_the_city_in_the_database_with_a_login_per_role(db_session):
    logins = loader.load(db_session, orders_count=50, seed=5, day=date(2031, 3, 4))
    db_session.commit()
    count = lambda model: db_session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Order) == 50
    assert count(Site) == 44
    assert count(Customer) == 45  # and one unknown email sender, waiting in the desk's review queue
    assert count(Engineer) == 10
    # The same shifts on five working days (Wednesday 4 March 2031 to Tuesday 10 March), so that a
    # booking can be moved to another day.
    days = db_session.scalars(select(Shift.day).distinct().order_by(Shift.day)).all()
    assert [d.isoformat() for d in days] == [
        "2031-03-04",
        "2031-03-05",
        "2031-03-06",
        "2031-03-07",
        "2031-03-10",
    ]
    assert count(Shift) == 50
    assert {login.role for login in logins} == {"admin", "dispatcher", "agent", "engineer", "customer"}
    for login in logins:
        assert (
            users.authenticate(db_session, email=login.email, password=login.password).role.value
            == login.role
        )
    assert loader.already_loaded(db_session)
    assert count(User) == 5 + len(desk.EXTRA_AGENTS)


def test_the_demo_desk_is_alive_routed_and_assigned(db_session):
    loader.load(db_session, orders_count=50, seed=5, day=date(2031, 3, 4))
    db_session.commit()
    rows = db_session.execute(select(Ticket.subject, Ticket.status, Ticket.team_id, Ticket.assignee_id)).all()
    assert len(rows) == 7
    assert {r.status.value for r in rows} >= {"new", "pending", "resolved"}
    assert all(r.team_id is not None for r in rows)  # every rule routes somewhere, the last one catches all
    # All but the one escalated after it was assigned (the next periodic run assigns that one).
    assert sum(r.assignee_id is not None for r in rows) == 6
    leak = next(r for r in rows if "leaking" in r.subject)
    assert db_session.get(DeskTeam, leak.team_id).code == "second-line"
    agent = users.authenticate(db_session, email="agent@example.com", password="demo-agent-1")
    assert agent.role.value == "agent"
    first = db_session.scalar(select(DeskTeam).where(DeskTeam.code == "first-line"))
    assert db_session.get(DeskTeamMember, (first.id, agent.id)).is_lead
    assert recognition.review_queue(db_session, actor=SYSTEM).total == 1
    # Complaints have a root-cause tree to pick from, quality reviews a rubric with a critical item.
    causes = root_causes.list_causes(db_session, actor=SYSTEM)
    assert "Late or missed arrival" in [c.name for c in causes if c.parent_id is not None]
    assert any(item.critical for item in quality.list_items(db_session, actor=SYSTEM))


def test_next_working_day_skips_the_weekend():
    assert loader.next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Friday -> Monday
    assert loader.next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)
