"""What planning takes from customers: an engineer they rated 1-2 is avoided while another can go,
and their tier raises their visits' priority (a VIP visit is the last to be left out)."""

from __future__ import annotations

from datetime import timedelta

import optimizer
from dispatch.access import SYSTEM
from dispatch.customers import service as customers
from dispatch.customers.models import CustomerTier
from dispatch.db import utcnow
from dispatch.planning.problem import engineer_key, load_day, visit_id
from dispatch.shifts import service as shifts
from dispatch.surveys.models import Survey, SurveySubject
from tests.factories import TZ, make_catalog, make_engineer, make_order, make_site, tomorrow_at, window

FAST = {"time_limit_s": 0.5, "seed": 1}


def _shift(session, engineer_id: int) -> None:
    shifts.create(
        session,
        actor=SYSTEM,
        engineer_id=engineer_id,
        starts_at=tomorrow_at(8),
        ends_at=tomorrow_at(17),
        default_time_zone=TZ,
    )


def _customer(
    session, name: str, tier: CustomerTier = CustomerTier.STANDARD, lat: float = 53.45
) -> tuple[int, int]:
    found = customers.create(session, actor=SYSTEM, name=name, email=f"{name.lower()}@example.com", tier=tier)
    return found.id, make_site(session, found.id, f"1 {name} Road", lat, -2.23)


def _stop(plan: optimizer.Plan, vid: str) -> tuple[str, optimizer.Stop]:
    return next((r.engineer_id, s) for r in plan.routes for s in r.stops if s.visit_id == vid)


def test_a_customer_who_rated_an_engineer_low_gets_another_one(db_session):
    ids = make_catalog(db_session)
    freya = make_engineer(db_session, "Freya Jones", ["gas"])
    leo = make_engineer(db_session, "Leo Smith", ["gas"])
    _shift(db_session, freya)
    _shift(db_session, leo)
    grace, site = _customer(db_session, "Grace")
    earlier = make_order(db_session, grace, site, ids["boiler-service"])
    db_session.add(
        Survey(
            subject=SurveySubject.VISIT,
            order_id=earlier.id,
            customer_id=grace,
            engineer_id=freya,
            expires_at=utcnow() + timedelta(days=30),
            answered_at=utcnow(),
            score=2,
        )
    )
    order = make_order(db_session, grace, site, ids["boiler-service"], time_windows=[window(10, 12)])
    db_session.flush()

    day = load_day(db_session, day=tomorrow_at(12).date(), time_zone=TZ)
    visit = next(v for v in day.problem.visits if v.id == visit_id(order.id))
    assert visit.avoid_engineers == {engineer_key(freya)}
    plan = optimizer.solve(day.problem, **FAST)
    who, stop = _stop(plan, visit_id(order.id))
    assert who == engineer_key(leo)
    assert "rated 1-2" in stop.why


def test_an_over_full_day_leaves_a_standard_visit_out_rather_than_the_vip_one(db_session):
    ids = make_catalog(db_session)
    _shift(db_session, make_engineer(db_session, "Freya Jones", ["gas"]))
    standard, standard_site = _customer(db_session, "Oscar")
    # The VIP lives farther out: on travel alone the standard visit would be kept.
    vip, vip_site = _customer(db_session, "Vera", CustomerTier.VIP, lat=53.38)
    # Both want the one engineer to start at 10:00-11:00 for three hours: only one can be served.
    late = {"time_windows": [window(10, 11)], "duration_s": 3 * 3600}
    plain = make_order(db_session, standard, standard_site, ids["boiler-service"], **late)
    special = make_order(db_session, vip, vip_site, ids["boiler-service"], **late)
    db_session.flush()

    day = load_day(db_session, day=tomorrow_at(12).date(), time_zone=TZ)
    priorities = {v.id: v.priority for v in day.problem.visits}
    assert priorities[visit_id(special.id)] > priorities[visit_id(plain.id)]
    plan = optimizer.solve(day.problem, **FAST)
    assert [u.visit_id for u in plan.unassigned] == [visit_id(plain.id)]
    assert _stop(plan, visit_id(special.id))[0]
