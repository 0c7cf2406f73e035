"""The live day: routes as they stand (published, booked since), and the orders waiting for a plan."""

from __future__ import annotations

from typing import Any

from dispatch.access import SYSTEM
from dispatch.orders import service as orders
from tests.api.test_plans_api import wait_for
from tests.booking_world import build, committed, days_ahead, local


def _live(client: Any, w: Any) -> Any:
    response = client.get(
        "/api/v1/live-day", query_string={"day": w.day.isoformat()}, headers=w.headers["dispatcher"]
    )
    assert response.status_code == 200, response.json
    return response.json


def _waiting_order(session: Any, w: Any) -> int:
    return orders.create(
        session,
        actor=SYSTEM,
        customer_id=w.ids["c2"],
        site_id=w.ids["s2"],
        service_type_id=w.ids["boiler-service"],
        time_windows=[orders.Window(local(w.day, 8), local(w.day, 12))],
    ).id


def _book(client: Any, w: Any) -> dict[str, Any]:
    query = {"service_type_id": w.ids["boiler-service"], "day": w.day.isoformat(), "site_id": w.ids["s1"]}
    offered = client.get("/api/v1/slots", query_string=query, headers=w.headers["customer"]).json
    last = max(offered, key=lambda s: s["starts_at"])
    body = {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], **last}
    body = {k: body[k] for k in ("service_type_id", "site_id", "starts_at", "ends_at")}
    booked = client.post("/api/v1/bookings", json=body, headers=w.headers["customer"])
    assert booked.status_code == 201, booked.json
    return booked.json["order"]


def test_before_planning_the_orders_wait_and_a_booking_is_on_its_route(client, app):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    waiting_id = committed(app, lambda s: _waiting_order(s, w))
    day = _live(client, w)
    assert day["routes"] == []
    assert [(o["order_id"], o["reason"]) for o in day["waiting"]] == [(waiting_id, "waiting")]
    assert day["waiting"][0]["skills"] == ["gas"]
    assert day["published_plan_id"] is None
    booked = _book(client, w)
    day = _live(client, w)
    (route,) = day["routes"]
    assert route["engineer_id"] == w.ids["e1"]
    (stop,) = route["stops"]
    assert stop["order_id"] == booked["id"]
    assert stop["starts_at"] == booked["scheduled_start"]
    assert stop["since_published"] is False  # nothing was published: nothing to differ from
    assert [o["order_id"] for o in day["waiting"]] == [waiting_id]


def test_a_visit_booked_after_publishing_is_on_the_live_day_and_marked(client, app):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    waiting_id = committed(app, lambda s: _waiting_order(s, w))
    headers = w.headers["dispatcher"]
    asked = client.post("/api/v1/plans", json={"day": w.day.isoformat(), "time_limit_s": 1}, headers=headers)
    assert asked.status_code == 202, asked.json
    plan = wait_for(client, headers, asked.headers["Location"])
    assert plan["status"] == "ready", plan["message"]
    assert client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers).status_code == 200
    booked = _book(client, w)
    day = _live(client, w)
    assert day["published_plan_id"] == plan["id"]
    stops = {s["order_id"]: s for r in day["routes"] for s in r["stops"]}
    assert set(stops) == {waiting_id, booked["id"]}
    assert stops[waiting_id]["since_published"] is False
    assert stops[booked["id"]]["since_published"] is True
    assert stops[booked["id"]]["status"] == "dispatched"  # booked onto a published day
    assert day["waiting"] == []


def test_only_planners_read_the_live_day(client, app):
    w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    query = {"day": w.day.isoformat()}
    assert client.get("/api/v1/live-day", query_string=query, headers=w.headers["agent"]).status_code == 403
    assert (
        client.get(
            "/api/v1/live-day", query_string={"day": "tomorrow"}, headers=w.headers["dispatcher"]
        ).status_code
        == 422
    )
