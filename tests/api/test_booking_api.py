"""Slots against the live plan, booking onto a route, the policy for changes, and tracking links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from api import create_app
from api.app import geocoder_for
from dispatch.access import SYSTEM
from dispatch.config import Settings
from dispatch.orders import actions
from tests.booking_world import BOLTON, STOCKPORT, build, committed, days_ahead, local, planned_order
from tests.nominatim import nominatim_server


@pytest.fixture
def bw(client: Any, app: Any) -> Any:
    """One gas engineer working 08:00-18:00 three days from now; Grace (customer) at Withington."""
    return committed(app, lambda s: build(s, app, day=days_ahead(3)))


def slots(client: Any, w: Any, role: str = "customer", **params: Any) -> Any:
    query = {"service_type_id": w.ids["boiler-service"], "day": w.day.isoformat(), **params}
    if "address" not in params:
        query.setdefault("latitude", 53.4330)
        query.setdefault("longitude", -2.2290)
    return client.get("/api/v1/slots", query_string=query, headers=w.headers[role])


def book(client: Any, w: Any, slot: dict[str, Any], role: str = "customer", **body: Any) -> Any:
    payload = {
        "service_type_id": w.ids["boiler-service"],
        "starts_at": slot["starts_at"],
        "ends_at": slot["ends_at"],
        **body,
    }
    if not {"site_id", "address", "latitude"} & set(body):
        payload["site_id"] = w.ids["s1"]
    return client.post("/api/v1/bookings", json=payload, headers=w.headers[role])


def test_an_empty_day_offers_every_two_hour_window_in_local_and_utc_time(client, bw):
    response = slots(client, bw)
    assert response.status_code == 200, response.json
    got = response.json
    assert [s["local_starts_at"][11:16] for s in sorted(got, key=lambda s: s["starts_at"])] == [
        "08:00",
        "10:00",
        "12:00",
        "14:00",
        "16:00",
    ]
    assert [s["rank"] for s in got] == [1, 2, 3, 4, 5]
    first = got[0]
    assert datetime.fromisoformat(first["starts_at"]) == local(bw.day, 8)
    assert first["time_zone"] == "Europe/London"


def test_no_engineer_with_the_skill_means_no_slots(client, bw):
    response = slots(client, bw, service_type_id=bw.ids["socket-install"])
    assert response.status_code == 200
    assert response.json == []


def test_windows_are_ranked_by_extra_driving_then_time(client, app, bw):
    # The engineer already drives to Stockport (11:00-12:00) then Bolton (14:00-16:00).
    def fill(session: Any) -> None:
        from tests.factories import make_site

        bw.ids["s_stock"] = make_site(session, bw.ids["c2"], "1 Market Place, Stockport", *STOCKPORT)
        planned_order(
            session,
            bw,
            site="s_stock",
            window=(local(bw.day, 11), local(bw.day, 12)),
            start=local(bw.day, 11),
            engineer="e1",
        )
        planned_order(
            session,
            bw,
            site="s2",
            window=(local(bw.day, 14), local(bw.day, 16)),
            start=local(bw.day, 14),
            engineer="e1",
        )

    committed(app, fill)
    got = slots(client, bw, latitude=BOLTON[0] + 0.002, longitude=BOLTON[1]).json
    by_hour = {s["local_starts_at"][11:13]: s for s in got}
    # 10-12 cannot be kept: from Bolton the engineer would reach Stockport after noon, or Bolton after it.
    assert sorted(by_hour) == ["08", "12", "14", "16"]
    assert [s["extra_distance_m"] for s in got] == sorted(s["extra_distance_m"] for s in got)
    # Next to the Bolton visit costs next to nothing; 08-10 means Bolton, Stockport, Bolton again.
    assert [s["local_starts_at"][11:13] for s in got] == ["14", "16", "12", "08"]
    assert by_hour["14"]["extra_distance_m"] < 1_000
    assert by_hour["08"]["extra_distance_m"] > 30_000


def test_an_address_is_geocoded_and_one_that_matches_nothing_is_a_422(client, app, bw, monkeypatch):
    with nominatim_server() as server:
        settings = Settings(geocoder_domain=server.domain, geocoder_scheme="http", geocoder_timeout_s=2)
        monkeypatch.setitem(app.extensions, "dispatch.geocoder", geocoder_for(settings))
        found = slots(client, bw, address="Oxford Road, Manchester")
        assert found.status_code == 200
        assert len(found.json) == 5
        missing = slots(client, bw, address="1 Nowhere Lane, Atlantis")
    assert missing.status_code == 422
    assert "could not be geocoded" in missing.json["message"]
    assert "no place matches" in missing.json["errors"]["address"][0]


def test_a_day_past_the_horizon_or_in_the_past_is_a_422(client, bw):
    assert slots(client, bw, day=days_ahead(-1).isoformat()).status_code == 422
    late = slots(client, bw, day=days_ahead(60).isoformat())
    assert late.status_code == 422
    assert "days ahead" in late.json["message"]


def test_booking_puts_the_order_on_the_route_inside_the_window(client, bw):
    chosen = slots(client, bw).json[2]
    response = book(client, bw, chosen, description="Boiler makes a noise")
    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert order["status"] == "scheduled"
    assert order["engineer"]["id"] == bw.ids["e1"]
    start = datetime.fromisoformat(order["scheduled_start"])
    assert datetime.fromisoformat(chosen["starts_at"]) <= start <= datetime.fromisoformat(chosen["ends_at"])
    assert order["channel"] == "web"
    token = response.json["tracking_url"].rsplit("/", 1)[1]
    assert len(token) >= 32
    events = client.get(f"/api/v1/orders/{order['id']}/events", headers=bw.headers["dispatcher"]).json
    assert [e["action"] for e in events][:2] == ["created", "assign"]


def test_a_window_not_offered_is_a_422(client, bw):
    odd = {"starts_at": local(bw.day, 9).isoformat(), "ends_at": local(bw.day, 11).isoformat()}
    response = book(client, bw, odd)
    assert response.status_code == 422
    assert "not a window we offer" in response.json["message"]


def test_a_full_window_is_refused_with_the_windows_still_free(client, app):
    # A 90-minute job and a 08:00-10:30 shift: room for exactly one visit, in the 08-10 window.
    w = committed(app, lambda s: build(s, app, day=days_ahead(3), shift_hours=(8, 11), long_job=True))
    query = {
        "service_type_id": w.ids["long"],
        "day": w.day.isoformat(),
        "latitude": 53.48,
        "longitude": -2.24,
    }
    offered = client.get("/api/v1/slots", query_string=query, headers=w.headers["customer"]).json
    assert [s["local_starts_at"][11:16] for s in offered] == ["08:00"]
    body = {
        "service_type_id": w.ids["long"],
        "starts_at": offered[0]["starts_at"],
        "ends_at": offered[0]["ends_at"],
    }
    first = client.post(
        "/api/v1/bookings", json=body | {"site_id": w.ids["s1"]}, headers=w.headers["customer"]
    )
    assert first.status_code == 201
    second = client.post(
        "/api/v1/bookings", json=body | {"site_id": w.ids["s2"]}, headers=w.headers["customer2"]
    )
    assert second.status_code == 409
    assert "just been taken" in second.json["message"]
    assert second.json["errors"]["slots"] == []
    assert client.get("/api/v1/slots", query_string=query, headers=w.headers["customer"]).json == []


def test_booking_onto_a_published_day_dispatches_the_new_visit_and_retimes_later_ones(client, app, bw):
    def fill(session: Any) -> int:
        oid = planned_order(
            session,
            bw,
            site="s2",
            window=(local(bw.day, 8), local(bw.day, 18)),
            start=local(bw.day, 8),
            engineer="e1",
        )
        actions.dispatch(session, actor=SYSTEM, order_id=oid, expected_version=None)
        return oid

    other = committed(app, fill)
    chosen = next(s for s in slots(client, bw).json if s["local_starts_at"][11:13] == "08")
    response = book(client, bw, chosen)
    assert response.status_code == 201
    assert response.json["order"]["status"] == "dispatched"
    new_start = datetime.fromisoformat(response.json["order"]["scheduled_start"])
    # Withington comes first now; the Bolton visit after it is expected later, and the log says why.
    later = client.get(f"/api/v1/orders/{other}", headers=bw.headers["dispatcher"]).json
    assert datetime.fromisoformat(later["scheduled_start"]) > new_start + timedelta(hours=1)
    assert later["sequence"] == 1
    events = client.get(f"/api/v1/orders/{other}/events", headers=bw.headers["dispatcher"]).json
    assert events[-1]["action"] == "retimed"
    assert "was booked onto the route" in events[-1]["payload"]["reason"]


def test_staff_book_for_a_customer_at_a_new_address(client, bw):
    chosen = slots(client, bw, role="agent").json[0]
    response = book(
        client,
        bw,
        chosen,
        role="agent",
        customer_id=bw.ids["c2"],
        address="7 Park Road, Sale",
        latitude=53.42,
        longitude=-2.32,
    )
    assert response.status_code == 201, response.json
    assert response.json["order"]["customer"]["id"] == bw.ids["c2"]
    assert response.json["order"]["site"]["address"] == "7 Park Road, Sale"


def test_a_customer_cancels_and_moves_within_the_policy(client, bw):
    offered = slots(client, bw).json
    booked = book(client, bw, offered[0]).json["order"]
    later = next(s for s in offered if s["starts_at"] > offered[0]["starts_at"])
    moved = client.post(
        f"/api/v1/bookings/{booked['id']}/reschedule",
        json={"starts_at": later["starts_at"], "ends_at": later["ends_at"]},
        headers=bw.headers["customer"],
    )
    assert moved.status_code == 200, moved.json
    order = moved.json["order"]
    assert order["status"] == "scheduled"
    assert order["time_windows"][0]["starts_at"] == later["starts_at"]
    assert later["starts_at"] <= order["scheduled_start"] <= later["ends_at"]
    cancelled = client.post(
        f"/api/v1/bookings/{booked['id']}/cancel",
        json={"reason": "Fixed it myself"},
        headers=bw.headers["customer"],
    )
    assert cancelled.status_code == 200
    assert cancelled.json["order"]["status"] == "cancelled"
    again = client.post(f"/api/v1/bookings/{booked['id']}/cancel", json={}, headers=bw.headers["customer"])
    assert again.status_code == 409
    assert "can no longer be cancelled" in again.json["message"]


def test_another_customers_booking_is_hidden(client, bw):
    booked = book(client, bw, slots(client, bw).json[0]).json["order"]
    for path in ("", "/cancel"):
        method = client.get if not path else client.post
        response = method(f"/api/v1/bookings/{booked['id']}{path}", json={}, headers=bw.headers["customer2"])
        assert response.status_code == 404


@pytest.fixture
def strict_client(app_settings: dict[str, Any], clean_db: Any) -> Iterator[Any]:
    """An app whose customers may change bookings only until ten days before the window."""
    strict = create_app({**app_settings, "booking_change_hours": 240})
    yield strict.test_client()
    strict.extensions["dispatch.db"].engine.dispose()


def test_too_late_to_change_online_is_a_409_that_says_why(client, bw, strict_client):
    booked = book(client, bw, slots(client, bw).json[0]).json["order"]
    for action, body in (("cancel", {}), ("reschedule", {"starts_at": "x"})):
        if action == "reschedule":
            w = booked["time_windows"][0]
            body = {"starts_at": w["starts_at"], "ends_at": w["ends_at"]}
        response = strict_client.post(
            f"/api/v1/bookings/{booked['id']}/{action}", json=body, headers=bw.headers["customer"]
        )
        assert response.status_code == 409
        assert "until 240 hours before" in response.json["message"]
        assert "please call us" in response.json["message"]
    staff = strict_client.post(
        f"/api/v1/bookings/{booked['id']}/cancel", json={}, headers=bw.headers["agent"]
    )
    assert staff.status_code == 200  # the policy binds customers online, not the service desk


def test_tracking_shows_status_first_name_and_an_eta_that_follows_the_plan(client, app, bw):
    booked = book(client, bw, slots(client, bw).json[0])
    token = booked.json["tracking_url"].rsplit("/", 1)[1]
    order_id = booked.json["order"]["id"]
    seen = client.get(f"/api/v1/tracking/{token}")  # no login needed
    assert seen.status_code == 200
    assert seen.json["status"] == "scheduled"
    assert seen.json["engineer_first_name"] is None  # not published yet
    eta = datetime.fromisoformat(seen.json["eta"])

    def publish_and_move(session: Any) -> None:
        actions.dispatch(session, actor=SYSTEM, order_id=order_id, expected_version=None)
        order = actions.transfer(
            session,
            actor=SYSTEM,
            order_id=order_id,
            expected_version=None,
            reason="re-plan",
            engineer_id=bw.ids["e1"],
            scheduled_start=eta + timedelta(minutes=40),
        )
        assert order.scheduled_start == eta + timedelta(minutes=40)
        actions.dispatch(session, actor=SYSTEM, order_id=order_id, expected_version=None)

    committed(app, publish_and_move)
    later = client.get(f"/api/v1/tracking/{token}").json
    assert datetime.fromisoformat(later["eta"]) == eta + timedelta(minutes=40)
    assert later["engineer_first_name"] == "Freya"
    for private in ("Jones", "Grace", "Mauldeth"):
        assert private not in str(later)
    page = client.get(f"/track/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (eta + timedelta(minutes=40)).strftime("%H:%M") in html  # Europe/London is UTC in winter
    assert 'http-equiv="refresh"' in html


def test_unknown_or_guessed_tracking_links_are_404(client, bw):
    booked = book(client, bw, slots(client, bw).json[0]).json
    token = booked["tracking_url"].rsplit("/", 1)[1]
    for guess in (str(booked["order"]["id"]), token[:-1], token.upper(), "x" * 200):
        assert client.get(f"/api/v1/tracking/{guess}").status_code == 404
        page = client.get(f"/track/{guess}")
        assert page.status_code == 404
        assert "cannot find this visit" in page.get_data(as_text=True)


def test_an_engineer_may_not_look_for_slots_or_book(client, app, bw):
    from tests.factories import make_user

    def engineer_header(session: Any) -> dict[str, str]:
        from flask_jwt_extended import create_access_token

        from dispatch.access import Role

        user = make_user(session, Role.ENGINEER, "freya@example.com", engineer_id=bw.ids["e1"])
        session.flush()
        with app.app_context():
            return {"Authorization": f"Bearer {create_access_token(identity=user)}"}

    bw.headers["engineer"] = committed(app, engineer_header)
    assert slots(client, bw, role="engineer").status_code == 403


def test_slots_follow_a_shift_change_at_once(client, app, bw):
    assert len(slots(client, bw).json) == 5
    assert len(slots(client, bw).json) == 5  # asked twice: the second answer may come from the cache

    def shorten(session: Any) -> None:
        from sqlalchemy import select

        from dispatch.shifts import service as shifts
        from dispatch.shifts.models import Shift

        shift = session.scalars(select(Shift)).one()
        shifts.update(session, actor=SYSTEM, shift_id=shift.id, changes={"ends_at": local(bw.day, 12)})

    committed(app, shorten)
    assert [s["local_starts_at"][11:16] for s in slots(client, bw).json] == ["08:00", "10:00"]


def test_staff_cannot_book_one_customers_visit_at_another_customers_site(client, bw):
    chosen = slots(client, bw, role="agent").json[0]
    response = book(client, bw, chosen, role="agent", customer_id=bw.ids["c2"], site_id=bw.ids["s1"])
    assert response.status_code == 422
    assert "belongs to another customer" in response.json["message"]


def test_slots_for_a_known_site_and_a_site_that_is_not_yours(client, bw):
    query = {"service_type_id": bw.ids["boiler-service"], "day": bw.day.isoformat()}
    mine = client.get(
        "/api/v1/slots", query_string={**query, "site_id": bw.ids["s1"]}, headers=bw.headers["customer"]
    )
    assert mine.status_code == 200
    assert len(mine.json) == 5
    theirs = client.get(
        "/api/v1/slots", query_string={**query, "site_id": bw.ids["s2"]}, headers=bw.headers["customer"]
    )
    assert theirs.status_code == 404


def _visits(client: Any, w: Any) -> list[int]:
    listed = client.get("/api/v1/orders", headers=w.headers["dispatcher"]).json
    return sorted(o["id"] for o in listed)


def test_a_booking_sent_twice_with_one_idempotency_key_books_one_visit(client, bw):
    chosen = slots(client, bw).json[1]
    key = {"Idempotency-Key": "book-7f3c1a"}
    payload = {"service_type_id": bw.ids["boiler-service"], "site_id": bw.ids["s1"], **chosen}
    payload = {k: payload[k] for k in ("service_type_id", "site_id", "starts_at", "ends_at")}
    first = client.post("/api/v1/bookings", json=payload, headers={**bw.headers["customer"], **key})
    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/bookings", json=payload, headers={**bw.headers["customer"], **key})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert _visits(client, bw) == [first.json["order"]["id"]]
    # The same key for another window is a mistake of the client, said plainly; nothing is booked.
    other = slots(client, bw).json[3]
    moved = {**payload, "starts_at": other["starts_at"], "ends_at": other["ends_at"]}
    reused = client.post("/api/v1/bookings", json=moved, headers={**bw.headers["customer"], **key})
    assert reused.status_code == 422
    assert "already used for a different request" in reused.json["message"]
    # Each customer's keys are their own: another customer's same key books their own visit.
    theirs = {**payload, "site_id": bw.ids["s2"]}
    own = client.post("/api/v1/bookings", json=theirs, headers={**bw.headers["customer2"], **key})
    assert own.status_code == 201, own.json
    assert len(_visits(client, bw)) == 2


def test_a_refused_booking_is_replayed_as_refused_and_a_new_key_may_try_again(client, bw):
    odd = {"starts_at": local(bw.day, 9).isoformat(), "ends_at": local(bw.day, 11).isoformat()}
    key = {"Idempotency-Key": "book-odd-1"}
    body = {"service_type_id": bw.ids["boiler-service"], "site_id": bw.ids["s1"], **odd}
    first = client.post("/api/v1/bookings", json=body, headers={**bw.headers["customer"], **key})
    assert first.status_code == 422
    again = client.post("/api/v1/bookings", json=body, headers={**bw.headers["customer"], **key})
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (422, "true")
    assert _visits(client, bw) == []


def test_an_order_sent_twice_with_one_idempotency_key_is_created_once(client, bw):
    body = {
        "site_id": bw.ids["s1"],
        "service_type_id": bw.ids["boiler-service"],
        "time_windows": [
            {"starts_at": local(bw.day, 10).isoformat(), "ends_at": local(bw.day, 12).isoformat()}
        ],
    }
    key = {"Idempotency-Key": "order-5b1e"}
    first = client.post("/api/v1/orders", json=body, headers={**bw.headers["agent"], **key})
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/orders", json=body, headers={**bw.headers["agent"], **key})
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.json["id"] == first.json["id"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _visits(client, bw) == [first.json["id"]]
    # Without a key, every request is a new order (as before).
    assert client.post("/api/v1/orders", json=body, headers=bw.headers["agent"]).status_code == 201
    assert len(_visits(client, bw)) == 2
