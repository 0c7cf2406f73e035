"""The slot query's timed-plan cache: every change that shapes the day is seen by the next query.

Each test warms the cache (the second of two identical queries is answered from it), makes one
change, and checks that the next query is timed afresh and answers what an empty cache answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.booking import slots as slots_module
from dispatch.booking.slots import PlanCache
from dispatch.engineers import service as engineers
from dispatch.orders import service as orders
from dispatch.shifts import service as shifts
from dispatch.shifts.models import Shift
from tests.api.test_plans_api import wait_for
from tests.booking_world import build, committed, days_ahead, local
from tests.factories import make_site

HOME = (53.48, -2.24)  # where the engineers start: no driving to a visit here


class CountingCache(PlanCache):
    """A plan cache that counts its hits."""

    def __init__(self) -> None:
        super().__init__()
        self.hits = 0

    def get(self, key: Any, fingerprint: Any) -> Any:
        found = super().get(key, fingerprint)
        self.hits += found is not None
        return found


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> CountingCache:
    fresh = CountingCache()
    monkeypatch.setattr(slots_module, "PLANS", fresh)
    return fresh


def _ask(client: Any, w: Any) -> list[dict[str, Any]]:
    query = {
        "service_type_id": w.ids["long"],
        "day": w.day.isoformat(),
        "latitude": HOME[0],
        "longitude": HOME[1],
    }
    response = client.get("/api/v1/slots", query_string=query, headers=w.headers["agent"])
    assert response.status_code == 200, response.json
    return list(response.json)


def warm(client: Any, w: Any, cache: CountingCache) -> list[str]:
    """The windows offered (local start times), asked twice: the second answer is the cached one."""
    first = _ask(client, w)
    hits = cache.hits
    assert _ask(client, w) == first
    assert cache.hits == hits + 1, "an unchanged day is answered from the cache"
    return [s["local_starts_at"][11:16] for s in first]


def after_change(client: Any, w: Any, cache: CountingCache, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The windows offered after a change: timed afresh, and the same as with an empty cache."""
    hits = cache.hits
    got = _ask(client, w)
    assert cache.hits == hits, "the change must invalidate the cached plan"
    monkeypatch.setattr(slots_module, "PLANS", PlanCache())
    assert _ask(client, w) == got  # what a cold cache answers, timing and extra driving included
    monkeypatch.setattr(slots_module, "PLANS", cache)
    return [s["local_starts_at"][11:16] for s in got]


def _world(app: Any, *, engineers_count: int = 1) -> Any:
    # A 90-minute job on a two-hour shift: one visit fills an engineer's day.
    return committed(
        app,
        lambda s: build(
            s, app, day=days_ahead(3), engineers_count=engineers_count, shift_hours=(8, 10), long_job=True
        ),
    )


def _waiting(app: Any, w: Any, site: str = "s1") -> int:
    return int(
        committed(
            app,
            lambda s: (
                orders.create(
                    s,
                    actor=SYSTEM,
                    customer_id=w.ids["c1"] if site == "s1" else w.ids["c2"],
                    site_id=w.ids[site],
                    service_type_id=w.ids["long"],
                    time_windows=[orders.Window(local(w.day, 8), local(w.day, 10))],
                ).id
            ),
        )
    )


def _plan_and_publish(client: Any, w: Any) -> dict[str, Any]:
    headers = w.headers["dispatcher"]
    asked = client.post("/api/v1/plans", json={"day": w.day.isoformat(), "time_limit_s": 1}, headers=headers)
    assert asked.status_code == 202, asked.json
    plan = wait_for(client, headers, asked.headers["Location"])
    assert plan["status"] == "ready", plan["message"]
    published = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert published.status_code == 200, published.json
    return dict(plan)


def test_a_booking_and_its_cancel_each_invalidate_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app)
    offered = _ask(client, w)
    assert warm(client, w, cache) == ["08:00"]
    body = {k: offered[0][k] for k in ("starts_at", "ends_at")}
    booked = client.post(
        "/api/v1/bookings",
        json=body | {"service_type_id": w.ids["long"], "site_id": w.ids["s1"]},
        headers=w.headers["customer"],
    )
    assert booked.status_code == 201, booked.json
    assert after_change(client, w, cache, monkeypatch) == []  # the booking took the only window
    assert warm(client, w, cache) == []
    order_id = booked.json["order"]["id"]
    cancelled = client.post(f"/api/v1/bookings/{order_id}/cancel", json={}, headers=w.headers["customer"])
    assert cancelled.status_code == 200, cancelled.json
    assert after_change(client, w, cache, monkeypatch) == ["08:00"]  # offered again


def test_publishing_a_plan_invalidates_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app)
    _waiting(app, w)
    assert warm(client, w, cache) == ["08:00"]  # the waiting order is on no route yet
    _plan_and_publish(client, w)
    assert after_change(client, w, cache, monkeypatch) == []  # now it fills the engineer's day


def test_a_re_plan_published_invalidates_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app, engineers_count=2)
    _waiting(app, w)
    _plan_and_publish(client, w)
    w.ids["s3"] = committed(
        app, lambda s: make_site(s, w.ids["c2"], "2 Oxford Road, Manchester", 53.47, -2.24)
    )
    _waiting(app, w, site="s3")
    assert warm(client, w, cache) == ["08:00"]  # one engineer is free; the second order waits
    _plan_and_publish(client, w)
    assert after_change(client, w, cache, monkeypatch) == []  # both engineers' days are full


def test_a_shift_change_invalidates_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app)
    assert warm(client, w, cache) == ["08:00"]

    def shorten(session: Any) -> None:
        shift = session.scalars(select(Shift)).one()
        shifts.update(session, actor=SYSTEM, shift_id=shift.id, changes={"ends_at": local(w.day, 9)})

    committed(app, shorten)
    assert after_change(client, w, cache, monkeypatch) == []  # 90 minutes no longer fit


def test_an_engineer_losing_a_skill_invalidates_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app)
    assert warm(client, w, cache) == ["08:00"]
    committed(
        app, lambda s: engineers.update(s, actor=SYSTEM, engineer_id=w.ids["e1"], changes={"skills": []})
    )
    assert after_change(client, w, cache, monkeypatch) == []  # nobody left with the gas skill


def test_a_dispatcher_assigning_by_hand_invalidates_the_cached_plan(client, app, cache, monkeypatch):
    w = _world(app)
    order_id = _waiting(app, w)
    assert warm(client, w, cache) == ["08:00"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=w.headers["dispatcher"]).json
    assigned = client.post(
        f"/api/v1/orders/{order_id}/assign",
        json={"engineer_id": w.ids["e1"], "scheduled_start": local(w.day, 8).isoformat()},
        headers=w.headers["dispatcher"] | {"If-Match": f'"v{order["version"]}"'},
    )
    assert assigned.status_code == 200, assigned.json
    assert after_change(client, w, cache, monkeypatch) == []  # the engineer's day is full now
