"""Plans through the API: ask for one, follow it, publish it, re-plan, adjust by hand."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.demo import loader
from tests.factories import demo_headers, load_demo_day

TZ = ZoneInfo("Europe/London")
DAY = loader.next_working_day(datetime.now(TZ).date())


@pytest.fixture
def demo(app, client):
    """A small demo day (40 orders, 40 engineers) and a dispatcher's header."""
    load_demo_day(app, 40, DAY)
    return demo_headers(client)


def wait_for(client, headers, location, statuses=("ready", "failed", "cancelled"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan = client.get(location, headers=headers).json
        if plan["status"] in statuses:
            return plan
        time.sleep(0.2)
    raise AssertionError(f"plan still {plan['status']} after {timeout} s")


def ask(client, headers, **body):
    body = {"day": DAY.isoformat(), "time_limit_s": 2, **body}
    return client.post("/api/v1/plans", json=body, headers=headers)


def test_a_plan_runs_in_the_queue_and_writes_every_order_once(client, demo):
    response = ask(client, demo)
    assert response.status_code == 202
    location = response.headers["Location"]
    assert response.json["status"] == "queued"
    plan = wait_for(client, demo, location)
    assert plan["status"] == "ready", plan["message"]
    placed = [s["order_id"] for r in plan["routes"] for s in r["stops"]]
    left = [u["order_id"] for u in plan["unassigned"]]
    assert len(placed) == len(set(placed))
    assert sorted(placed + left) == list(range(1, 41))
    assert plan["totals"]["assigned"] == len(placed) >= 32  # 4 of these 40 need skills only one engineer has
    assert plan["progress"]["fraction"] == 1.0
    assert plan["progress"]["best_distance_m"] == plan["totals"]["travel_distance_m"] > 0
    assert plan["progress"]["best_assigned"] == plan["totals"]["assigned"]
    for route in plan["routes"]:
        starts = [s["starts_at"] for s in route["stops"]]
        assert starts == sorted(starts)
        for stop in route["stops"]:
            assert any(w["starts_at"] <= stop["starts_at"] <= w["ends_at"] for w in stop["time_windows"])
            assert stop["change"] == "new"
    for u in plan["unassigned"]:
        assert u["reason"]
        assert u["detail"]
    # Nothing is published yet: the orders are untouched.
    order = client.get(f"/api/v1/orders/{placed[0]}", headers=demo).json
    assert order["status"] == "new"
    assert order["engineer"] is None


def test_publishing_dispatches_every_planned_order_with_start_and_sequence(client, demo):
    plan = wait_for(client, demo, ask(client, demo).headers["Location"])
    published = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=demo)
    assert published.status_code == 200, published.json
    assert published.json["status"] == "published"
    route = max(plan["routes"], key=lambda r: len(r["stops"]))
    for stop in route["stops"]:
        order = client.get(f"/api/v1/orders/{stop['order_id']}", headers=demo).json
        assert order["status"] == "dispatched"
        assert order["engineer"]["id"] == route["engineer_id"]
        assert order["sequence"] == stop["sequence"]
        assert datetime.fromisoformat(order["scheduled_start"]) == datetime.fromisoformat(stop["starts_at"])
    # Publishing twice is refused: the plan is over.
    again = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=demo)
    assert again.status_code == 409


def test_publish_reports_orders_changed_since_the_plan_and_writes_nothing(client, demo):
    plan = wait_for(client, demo, ask(client, demo).headers["Location"])
    stop = plan["routes"][0]["stops"][0]
    etag = client.get(f"/api/v1/orders/{stop['order_id']}", headers=demo).headers["ETag"]
    changed = client.patch(
        f"/api/v1/orders/{stop['order_id']}",
        json={"description": "customer asked for the side door"},
        headers={**demo, "If-Match": etag},
    )
    assert changed.status_code == 200
    refused = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=demo)
    assert refused.status_code == 409
    listed = refused.json["errors"]["changed_orders"]
    assert [c["order_id"] for c in listed] == [stop["order_id"]]
    assert listed[0]["current_version"] == listed[0]["planned_version"] + 1
    # Nothing was overwritten or half-published.
    other = plan["routes"][-1]["stops"][-1]["order_id"]
    assert client.get(f"/api/v1/orders/{other}", headers=demo).json["status"] == "new"
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=demo).json["status"] == "ready"


def test_replan_keeps_work_under_way_and_shows_the_difference(client, demo):
    first = wait_for(client, demo, ask(client, demo).headers["Location"])
    assert client.post(f"/api/v1/plans/{first['id']}/publish", headers=demo).status_code == 200
    # An engineer goes off sick: their shift is deleted; an urgent order arrives.
    busy = max(first["routes"], key=lambda r: len(r["stops"]))
    shifts = client.get(
        "/api/v1/shifts", query_string={"engineer_id": busy["engineer_id"]}, headers=demo
    ).json
    assert client.delete(f"/api/v1/shifts/{shifts[0]['id']}", headers=demo).status_code == 204
    second = wait_for(client, demo, ask(client, demo, kind="replan").headers["Location"])
    assert second["status"] == "ready", second["message"]
    assert second["kind"] == "replan"
    assert busy["engineer_id"] not in {r["engineer_id"] for r in second["routes"]}
    moved = {m["order_id"]: m for m in second["changes"]["moved"]}
    for stop in busy["stops"]:
        assert moved[stop["order_id"]]["from_engineer_id"] == busy["engineer_id"]
        assert moved[stop["order_id"]]["change"] in ("reassigned", "dropped")
    counts = second["changes"]["counts"]
    assert counts["reassigned"] + counts["dropped"] >= len(busy["stops"])
    assert counts["unchanged"] > 0


def test_only_one_plan_of_a_day_runs_at_a_time_and_cancel_stops_it(client, demo):
    first = ask(client, demo, time_limit_s=4)
    assert first.status_code == 202
    second = ask(client, demo)
    assert second.status_code == 409
    assert str(first.json["id"]) in second.json["message"]
    cancelled = client.delete(first.headers["Location"], headers=demo)
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    plan = wait_for(client, demo, first.headers["Location"], statuses=("cancelled",))
    assert plan["routes"] == []
    assert ask(client, demo).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"time_limit_s": 100000}, "time_limit_s"),
        ({"team_id": 999}, "team_id"),
        ({"region": "Atlantis"}, "region"),
        ({"day": "2026-02-30"}, "day"),
    ],
)
def test_bad_plan_requests_say_what_is_wrong(client, demo, body, field):
    response = ask(client, demo, **body)
    assert response.status_code == 422
    assert field in str(response.json["errors"])


def test_moving_an_order_by_hand_is_checked_by_the_optimizer(client, demo):
    plan = wait_for(client, demo, ask(client, demo).headers["Location"])
    routes = sorted(plan["routes"], key=lambda r: len(r["stops"]))

    def move_to(stop, engineer_id):
        return client.post(
            f"/api/v1/plans/{plan['id']}/moves",
            json={"order_id": stop["order_id"], "engineer_id": engineer_id, "pinned": True},
            headers=demo,
        )

    # Offer the busiest routes' jobs to the quietest engineer; where the optimizer refuses, the plan
    # is unchanged and it names who could take the job instead: move it to one of those.
    candidates = [(route, stop) for route in reversed(routes[1:]) for stop in route["stops"]]
    for source, stop in candidates:
        target = routes[0]
        moved = move_to(stop, target["engineer_id"])
        if moved.status_code == 409:
            assert "cannot take" in moved.json["message"]
            assert client.get(f"/api/v1/plans/{plan['id']}", headers=demo).json["routes"] == plan["routes"]
            others = [
                a for a in moved.json["errors"]["alternatives"] if a["engineer_id"] != source["engineer_id"]
            ]
            if not others:
                continue  # only its own engineer can keep this job's window: try the next job
            target = {"engineer_id": others[0]["engineer_id"]}
            moved = move_to(stop, target["engineer_id"])
        break
    assert moved.status_code == 200, moved.json
    after = {r["engineer_id"]: r for r in moved.json["routes"]}
    now_on = [s for s in after[target["engineer_id"]]["stops"] if s["order_id"] == stop["order_id"]]
    assert len(now_on) == 1
    assert any(w["starts_at"] <= now_on[0]["starts_at"] <= w["ends_at"] for w in now_on[0]["time_windows"])
    assert stop["order_id"] not in [
        s["order_id"] for s in after.get(source["engineer_id"], {"stops": []})["stops"]
    ]
    assert client.post(f"/api/v1/plans/{plan['id']}/publish", headers=demo).status_code == 200
    order = client.get(f"/api/v1/orders/{stop['order_id']}", headers=demo).json
    assert order["engineer"]["id"] == target["engineer_id"]
    assert order["pinned"] is True


def test_a_move_that_breaks_a_window_is_refused_with_alternatives(client, demo, app):
    plan = wait_for(client, demo, ask(client, demo).headers["Location"])
    stop = plan["routes"][0]["stops"][0]
    # An engineer whose shift ends before the order's window opens cannot take it.
    session = app.extensions["dispatch.db"].sessions()
    try:
        from dispatch.shifts.models import Shift

        shift = session.query(Shift).filter(Shift.engineer_id != plan["routes"][0]["engineer_id"]).first()
        window_start = datetime.fromisoformat(stop["time_windows"][0]["starts_at"])
        shift.starts_at = window_start - timedelta(hours=6)
        shift.ends_at = window_start - timedelta(hours=5)
        shift.break_duration_s = 0
        engineer_id = shift.engineer_id
        session.commit()
    finally:
        session.close()
    refused = client.post(
        f"/api/v1/plans/{plan['id']}/moves",
        json={"order_id": stop["order_id"], "engineer_id": engineer_id},
        headers=demo,
    )
    assert refused.status_code == 409
    assert "cannot take" in refused.json["message"]
    assert refused.json["errors"]["alternatives"]
    assert all(a["engineer_id"] != engineer_id for a in refused.json["errors"]["alternatives"])
    # The refusal and the plan's own explanations follow the reader's language (worded when read).
    chinese = {**demo, "Accept-Language": "zh-CN"}
    refused_zh = client.post(
        f"/api/v1/plans/{plan['id']}/moves",
        json={"order_id": stop["order_id"], "engineer_id": engineer_id},
        headers=chinese,
    )
    assert refused_zh.status_code == 409
    assert "无法接下工单" in refused_zh.json["message"]
    planned_zh = client.get(f"/api/v1/plans/{plan['id']}", headers=chinese).json
    whys = [s["why"] for r in planned_zh["routes"] for s in r["stops"]]
    assert all("公里" in why and "km" not in why for why in whys)


def test_engineers_and_customers_cannot_plan(client, demo):
    for role in ("engineer", "customer"):
        assert ask(client, demo_headers(client, role)).status_code == 403


def test_replan_starts_an_engineer_from_their_last_known_position(client, demo, app):
    from dispatch.db import utcnow
    from dispatch.positions.models import EngineerPosition

    first = wait_for(client, demo, ask(client, demo).headers["Location"])
    assert client.post(f"/api/v1/plans/{first['id']}/publish", headers=demo).status_code == 200
    route = max(first["routes"], key=lambda r: len(r["stops"]))
    # The engineer is stuck in Liverpool (about 50 km west of the city), as the phone last said.
    session = app.extensions["dispatch.db"].sessions()
    try:
        now = utcnow()
        session.add(
            EngineerPosition(
                engineer_id=route["engineer_id"],
                latitude=53.4084,
                longitude=-2.9916,
                accuracy_m=10.0,
                recorded_at=now,
                received_at=now,
            )
        )
        session.commit()
    finally:
        session.close()
    second = wait_for(client, demo, ask(client, demo, kind="replan").headers["Location"])
    assert second["status"] == "ready", second["message"]
    again = next((r for r in second["routes"] if r["engineer_id"] == route["engineer_id"]), None)
    if again is not None:
        assert again["stops"][0]["travel_distance_m"] > 35_000
    assert route["stops"][0]["travel_distance_m"] < 35_000


def test_a_booking_made_while_the_plan_ran_blocks_publishing_it(client, demo):
    plan = wait_for(client, demo, ask(client, demo).headers["Location"])
    # A customer books a visit on the live day after the plan read the orders.
    order = client.get("/api/v1/orders/1", headers=demo).json
    offered = client.get(
        "/api/v1/slots",
        query_string={
            "service_type_id": order["service_type"]["id"],
            "day": DAY.isoformat(),
            "site_id": order["site"]["id"],
        },
        headers=demo,
    )
    assert offered.status_code == 200, offered.json
    assert offered.json, "the demo day should have room for one more visit"
    slot = offered.json[0]
    booked = client.post(
        "/api/v1/bookings",
        json={
            "service_type_id": order["service_type"]["id"],
            "site_id": order["site"]["id"],
            "starts_at": slot["starts_at"],
            "ends_at": slot["ends_at"],
        },
        headers=demo,
    )
    assert booked.status_code == 201, booked.json
    refused = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=demo)
    assert refused.status_code == 409
    listed = refused.json["errors"]["changed_orders"]
    assert [(c["order_id"], c["planned_version"]) for c in listed] == [(booked.json["order"]["id"], 0)]
