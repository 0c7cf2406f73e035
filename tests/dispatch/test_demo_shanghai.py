"""The Shanghai demo city: seeded like Manchester, Chinese names and addresses kept as written,
mainland China's working days, and a day that plans and books in Asia/Shanghai time."""

# ruff: noqa: RUF001 - Chinese text is written with full-width punctuation

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
import time_machine
from sqlalchemy import func, select

from dispatch.calendars.models import BusinessCalendar
from dispatch.demo import cities, desk_scripts, loader
from dispatch.models import Customer, Engineer, Shift, Site, User
from dispatch.routing.models import DeskTeam
from dispatch.sla.models import SlaPolicy
from dispatch.tickets.models import Ticket
from optimizer.datasets.shanghai import CENTRE, DISTRICTS, SERVICE_TYPES, generate_shanghai

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADDRESS = re.compile(
    r"^上海市(?P<district>[^区]+区)(?P<road>[^路道]+[路道])(?P<door>\d+)号(\d+号楼\d{3,4}室|\d+楼)$"
)


def km(a: Any, b: Any) -> float:
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


def test_same_seed_same_city_other_seed_other_city():
    assert generate_shanghai(120, seed=3) == generate_shanghai(120, seed=3)
    assert generate_shanghai(120, seed=3).customers != generate_shanghai(120, seed=4).customers


def test_customers_live_in_the_districts_with_chinese_names_addresses_and_mobiles():
    city = generate_shanghai(2000, seed=7)
    districts = {d.name: d for d in DISTRICTS}
    customers = {c.ref: c for c in city.customers}
    assert {c.neighbourhood for c in city.customers} == set(districts)
    assert {"黄浦区", "徐汇区", "静安区", "浦东新区", "闵行区", "长宁区", "普陀区", "杨浦区"} <= set(
        districts
    )
    for site in city.sites:
        district = districts[customers[site.customer_ref].neighbourhood]
        found = ADDRESS.match(site.address)
        assert found, site.address
        assert found["district"] == district.name
        assert found["road"] in district.roads
        assert km(site.point, CENTRE) < 45
        assert km(site.point, type(CENTRE)(district.lat, district.lon)) < 5 * district.spread_m / 1000
    people = [c for c in city.customers if not c.name.endswith("有限公司")]
    assert len(people) > 0.8 * len(city.customers)
    for person in people:
        assert 2 <= len(person.name) <= 4
        assert all("\u4e00" <= ch <= "\u9fff" for ch in person.name), person.name  # no spaces, no Latin
    for phone in [c.phone for c in city.customers] + [e.phone for e in city.engineers]:
        assert re.fullmatch(r"\+86 1[3-9]\d \d{4} \d{4}", phone)
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def test_services_of_the_seed_businesses_with_skills_and_a_lunch_hour():
    city = generate_shanghai(400, seed=11)
    names = {s.name for s in SERVICE_TYPES}
    assert {"上门产检", "产后康复", "家电维修", "空调清洗"} <= names
    assert {o.service_type for o in city.orders} == {s.code for s in SERVICE_TYPES}
    skills = [set(e.skills) for e in city.engineers]
    for order in city.orders:
        assert any(set(order.skills) <= s for s in skills), order.ref
    for shift in city.shifts:
        assert shift.start_s <= shift.break_earliest_s < shift.break_latest_s <= shift.end_s
        assert shift.break_duration_s == 3600
    work = sum(o.duration_s for o in city.orders)
    capacity = sum(s.end_s - s.start_s - s.break_duration_s for s in city.shifts)
    assert 0.5 < work / capacity < 0.7, "busy, with room for travel and urgent work"


def test_working_days_follow_the_chinese_calendar():
    assert not cities.chinese_working_day(date(2026, 10, 1))  # 国庆节
    assert not cities.chinese_working_day(date(2026, 10, 5))  # a Monday of the Golden Week
    assert cities.chinese_working_day(date(2026, 10, 10))  # a Saturday made a working day (调休)
    assert cities.chinese_working_day(date(2026, 9, 20))  # a Sunday made a working day
    assert not cities.chinese_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert cities.chinese_working_day(date(2026, 10, 8))
    # A year the calendar library does not know yet keeps the days the law closes, else Monday to Friday.
    assert not cities.chinese_working_day(date(2027, 2, 6))  # 春节, a Saturday anyway
    assert not cities.chinese_working_day(date(2027, 2, 8))  # 春节, a Monday
    assert not cities.chinese_working_day(date(2027, 10, 1))  # 国庆节, a Friday
    assert cities.chinese_working_day(date(2027, 10, 8))  # a Friday after the Golden Week
    assert cities.chinese_working_day(date(2099, 10, 6))  # a Tuesday
    assert not cities.chinese_working_day(date(2099, 10, 1))  # 国庆节, a Thursday
    assert cities.get("shanghai").next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cities.get("manchester").next_working_day(date(2026, 9, 30)) == date(2026, 10, 1)


def test_the_loader_keeps_names_and_addresses_as_written_in_shanghai_time(db_session):
    city = generate_shanghai(40, seed=5, day=date(2031, 3, 4))
    loader.load(db_session, orders_count=40, seed=5, day=date(2031, 3, 4), city_name="shanghai")
    db_session.commit()
    db_session.expire_all()
    names = dict(db_session.execute(select(Customer.external_id, Customer.name)).all())
    assert {c.ref: c.name for c in city.customers}.items() <= names.items()
    sites = db_session.scalars(select(Site).order_by(Site.id)).all()
    assert [s.address for s in sites] == [s.address for s in city.sites]
    assert {(s.city, s.country_code, s.time_zone) for s in sites} == {("上海市", "CN", "Asia/Shanghai")}
    engineers = db_session.scalars(select(Engineer).order_by(Engineer.id)).all()
    assert [e.name for e in engineers] == [e.name for e in city.engineers]
    assert {e.team.time_zone for e in engineers} == {"Asia/Shanghai"}
    first = db_session.scalar(select(Customer).where(Customer.external_id == "C00001"))
    assert first.phone == city.customers[0].phone.replace(" ", "")
    shift = db_session.scalar(select(Shift).order_by(Shift.id).limit(1))
    shape = city.shifts[0]
    local_start = shift.starts_at.replace(tzinfo=shift.starts_at.tzinfo or ZoneInfo("UTC")).astimezone(
        SHANGHAI
    )
    assert local_start.hour * 3600 == shape.start_s
    assert loader.loaded_city(db_session) == "shanghai"


def test_no_shifts_on_the_national_day_holiday_and_shifts_on_the_make_up_saturday(db_session):
    # Loaded on 1 September 2026, when the Golden Week is still ahead (orders are never in the past).
    with time_machine.travel(datetime(2026, 9, 1, 4, tzinfo=UTC), tick=False):
        loader.load(db_session, orders_count=20, seed=5, day=date(2026, 9, 30), city_name="shanghai")
    db_session.commit()
    days = db_session.scalars(select(Shift.day).distinct().order_by(Shift.day)).all()
    # Wednesday 30 September, then the Golden Week (1-7 October) off, back on Thursday 8 October,
    # and Saturday 10 October is a working day that year; Sunday 11 October is not.
    assert [d.isoformat() for d in days] == [
        "2026-09-30",
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
    ]
    engineers = db_session.scalar(select(func.count()).select_from(Engineer))
    assert db_session.scalar(select(func.count()).select_from(Shift)) == 5 * engineers


def test_the_shanghai_desk_is_written_in_chinese_and_counts_in_the_shanghai_calendar(db_session):
    logins = loader.load(db_session, orders_count=20, seed=5, day=date(2031, 3, 4), city_name="shanghai")
    db_session.commit()
    assert {x.role: x.who for x in logins}["dispatcher"] == "陈志明"
    rows = db_session.execute(select(Ticket.subject, Ticket.team_id, Ticket.assignee_id)).all()
    assert len(rows) == 7
    assert all(re.search("[\u4e00-\u9fff]", r.subject) for r in rows), [r.subject for r in rows]
    leak = next(r for r in rows if "漏水" in r.subject)
    assert db_session.get(DeskTeam, leak.team_id).name == "二线支持"  # the leak rule matched the Chinese word
    assert sum(r.assignee_id is not None for r in rows) == 6
    agents = db_session.scalars(select(User.full_name).where(User.email.like("%@desk.example.com"))).all()
    assert sorted(agents) == sorted(a[0] for a in desk_scripts.SHANGHAI.agents)
    policies = db_session.execute(select(SlaPolicy.name, BusinessCalendar.name).join(BusinessCalendar)).all()
    assert {p for p, _ in policies} == {"VIP和重点客户", "紧急和高优先级故障", "标准"}
    assert {c for _, c in policies} == {"Shanghai office"}


# --- through the API, with the company set up as the Shanghai demo serves it ----------------------


@pytest.fixture
def shanghai_app(app_settings: dict[str, Any], clean_db: Any) -> Iterator[Any]:
    """An app with the Shanghai demo's company settings and its city loaded for the next working day."""
    from api import create_app

    app = create_app({**app_settings, **cities.get("shanghai").settings})
    session = app.extensions["dispatch.db"].sessions()
    try:
        loader.load(session, orders_count=40, seed=7, day=loader.demo_day("shanghai"), city_name="shanghai")
        session.commit()
    finally:
        session.close()
    yield app
    queue = app.extensions["dispatch.queue"]
    if hasattr(queue, "wait_idle"):
        queue.wait_idle()
    app.extensions["dispatch.db"].engine.dispose()


def login(client: Any, role: str) -> dict[str, str]:
    account = next(x for x in loader.DEMO_LOGINS if x.role == role)
    response = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_a_shanghai_day_plans_every_visit_or_says_why(shanghai_app):
    client = shanghai_app.test_client()
    headers = login(client, "dispatcher")
    day = loader.demo_day("shanghai")
    response = client.post("/api/v1/plans", json={"day": day.isoformat(), "time_limit_s": 3}, headers=headers)
    assert response.status_code == 202, response.json
    deadline = time.monotonic() + 90
    plan = response.json
    while plan["status"] not in ("ready", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        plan = client.get(response.headers["Location"], headers=headers).json
    assert plan["status"] == "ready", plan.get("message")
    placed = [s["order_id"] for r in plan["routes"] for s in r["stops"]]
    left = plan["unassigned"]
    assert sorted(placed + [u["order_id"] for u in left]) == list(range(1, 41))
    assert len(placed) >= 34
    assert all(u["reason"] and u["detail"] for u in left)
    for route in plan["routes"]:
        for stop in route["stops"]:
            start = datetime.fromisoformat(stop["starts_at"]).astimezone(SHANGHAI)
            assert start.date() == day
            assert 8 <= start.hour < 19, stop  # the working day in Shanghai, not in London


def test_slots_are_offered_and_booked_in_shanghai_time(shanghai_app):
    client = shanghai_app.test_client()
    customer = login(client, "customer")
    staff = login(client, "dispatcher")
    day = loader.demo_day("shanghai")
    site = client.get("/api/v1/sites", headers=customer).json[0]
    assert site["address"].startswith("上海市")
    types = {t["code"]: t for t in client.get("/api/v1/service-types", headers=staff).json}
    ac = types["ac-cleaning"]
    assert ac["name"] == "空调清洗"
    query = {"service_type_id": ac["id"], "site_id": site["id"], "day": day.isoformat()}
    offered = client.get("/api/v1/slots", query_string=query, headers=customer)
    assert offered.status_code == 200, offered.json
    assert offered.json, "an empty day of air-conditioner technicians offers windows"
    starts = sorted(s["local_starts_at"] for s in offered.json)
    assert {s["time_zone"] for s in offered.json} == {"Asia/Shanghai"}
    assert all(s.endswith("+08:00") for s in starts)
    assert {s[11:16] for s in starts} <= {"08:00", "10:00", "12:00", "14:00", "16:00"}
    chosen = offered.json[0]
    booked = client.post(
        "/api/v1/bookings",
        json={
            "service_type_id": ac["id"],
            "site_id": site["id"],
            "starts_at": chosen["starts_at"],
            "ends_at": chosen["ends_at"],
            "description": "客厅挂机不制冷，顺便清洗",
        },
        headers=customer,
    )
    assert booked.status_code == 201, booked.json
    order = booked.json["order"]
    assert order["status"] == "scheduled"
    assert order["description"] == "客厅挂机不制冷，顺便清洗"
    start = datetime.fromisoformat(order["scheduled_start"])
    assert datetime.fromisoformat(chosen["starts_at"]) <= start <= datetime.fromisoformat(chosen["ends_at"])
    assert start.astimezone(SHANGHAI).date() == day
    seen = client.get(f"/api/v1/customers/{order['customer']['id']}", headers=staff).json
    first = next(c for c in generate_shanghai(40, seed=7).customers if c.ref == "C00001")
    assert seen["name"] == first.name  # the demo customer is the city's first, named as written
