"""Orders through the API: booking, finding, editing under If-Match, and the order's life."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import tomorrow_at
from tests.images import png_bytes


def win(start: int, end: int) -> dict[str, str]:
    return {"starts_at": tomorrow_at(start).isoformat(), "ends_at": tomorrow_at(end).isoformat()}


def book(client, world, role="agent", **extra):
    body = {
        "site_id": world.ids["s1"],
        "service_type_id": world.ids["boiler-service"],
        "time_windows": [win(8, 10)],
    }
    body.update(extra)
    return client.post("/api/v1/orders", json=body, headers=world.h(role))


def etag_of(client, world, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=world.h("admin")).headers["ETag"]


def test_booking_fills_defaults_from_the_service_type_and_site(client, world):
    response = book(client, world, time_windows=[win(14, 16), win(8, 10)])
    assert response.status_code == 201
    order = response.json
    assert response.headers["Location"].endswith(f"/api/v1/orders/{order['id']}")
    assert response.headers["ETag"] == '"v1"'
    assert order["number"] == f"WO-{order['id']:06d}"
    assert order["customer"]["id"] == world.ids["c1"]
    assert order["duration_s"] == 3600
    assert order["skills"] == ["gas"]
    assert order["status"] == "new"
    assert order["channel"] == "agent"
    assert [w["starts_at"] for w in order["time_windows"]] == [
        win(8, 10)["starts_at"],
        win(14, 16)["starts_at"],
    ]
    assert order["allowed_actions"] == ["assign", "cancel", "transfer", "reschedule"]


def test_customer_books_for_themself_on_the_web_channel(client, world):
    response = book(client, world, role="customer")
    assert response.status_code == 201
    assert response.json["channel"] == "web"
    assert response.json["customer"]["id"] == world.ids["c1"]


def test_customer_may_not_set_staff_fields(client, world):
    response = book(client, world, role="customer", priority="urgent", duration_s=60)
    assert response.status_code == 403
    assert response.json["message"] == "a customer may not set priority, duration_s on an order"


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([], "Length must be between 1 and 10."),
        (
            [{"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T12:00:00+00:00"}],
            "Not a valid aware datetime.",
        ),
    ],
)
def test_malformed_windows_are_422(client, world, windows, message):
    response = book(client, world, time_windows=windows)
    assert response.status_code == 422
    assert message in str(response.json["errors"])


def test_windows_that_end_before_they_start_overlap_or_are_past_are_refused(client, world):
    past = {
        "starts_at": (tomorrow_at(8) - timedelta(days=3)).isoformat(),
        "ends_at": (tomorrow_at(10) - timedelta(days=3)).isoformat(),
    }
    backwards = {"starts_at": tomorrow_at(12).isoformat(), "ends_at": tomorrow_at(11).isoformat()}
    response = book(client, world, time_windows=[past, backwards, win(13, 16), win(15, 17)])
    assert response.status_code == 422
    assert response.json["errors"]["time_windows"] == [
        "window 1 is already over",
        "window 2 ends before it starts",
        "window 4 overlaps the one before",
    ]
    assert client.get("/api/v1/orders?page_size=100", headers=world.h("admin")).json.__len__() == 7


def test_site_of_another_customer_is_refused(client, world):
    response = book(client, world, customer_id=world.ids["c2"])
    assert response.status_code == 422
    assert response.json["errors"] == {"site_id": [f"not a site of customer {world.ids['c2']}"]}


def test_unknown_skill_code_is_named(client, world):
    response = book(client, world, skills=["gas", "levitation"])
    assert response.status_code == 422
    assert response.json["errors"] == {"skills": ["unknown skill code 'levitation'"]}


def test_filters_sorting_and_pagination(client, world):
    h = world.h("dispatcher")
    unassigned = client.get("/api/v1/orders?unassigned=true", headers=h).json
    assert [o["id"] for o in unassigned] == [world.ids["o_new"]]
    mine = client.get(
        f"/api/v1/orders?engineer_id={world.ids['e1']}&status=accepted,en_route", headers=h
    ).json
    assert sorted(o["id"] for o in mine) == sorted([world.ids["o_acc"], world.ids["o_route"]])
    page = client.get("/api/v1/orders?page=2&page_size=3&sort=-id", headers=h)
    assert page.status_code == 200
    assert [o["id"] for o in page.json] == sorted(world.ids[k] for k in world.ids if k.startswith("o_"))[
        ::-1
    ][3:6]
    assert '"total": 7' in page.headers["X-Pagination"]
    by_number = client.get(f"/api/v1/orders?q=WO-{world.ids['o_other']:06d}", headers=h).json
    assert [o["id"] for o in by_number] == [world.ids["o_other"]]
    later = client.get(
        f"/api/v1/orders?window_from={tomorrow_at(12).isoformat().replace('+', '%2B')}", headers=h
    )
    assert later.json == []


def test_bad_filter_values_are_422(client, world):
    response = client.get("/api/v1/orders?status=lost", headers=world.h("dispatcher"))
    assert response.status_code == 422
    assert "status" in response.json["errors"]["query"]


def test_customer_and_engineer_lists_hold_only_their_own(client, world):
    customer = {o["id"] for o in client.get("/api/v1/orders", headers=world.h("customer")).json}
    assert world.ids["o_other"] not in customer
    assert world.ids["o_new"] in customer
    engineer = {o["id"] for o in client.get("/api/v1/orders", headers=world.h("engineer")).json}
    assert engineer == {world.ids[k] for k in ("o_sched", "o_disp", "o_acc", "o_route", "o_site")}
    sites = {s["id"] for s in client.get("/api/v1/sites", headers=world.h("customer")).json}
    assert sites == {world.ids["s1"]}
    customers = {c["id"] for c in client.get("/api/v1/customers", headers=world.h("engineer")).json}
    assert customers == {world.ids["c1"]}


def test_writes_need_if_match_and_refuse_stale_copies(client, world):
    url = f"/api/v1/orders/{world.ids['o_new']}"
    h = world.h("dispatcher")
    missing = client.patch(url, json={"description": "x"}, headers=h)
    assert missing.status_code == 428
    first = client.patch(url, json={"description": "Bring a ladder"}, headers={**h, "If-Match": '"v1"'})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"v2"'
    stale = client.patch(url, json={"description": "Overwrite"}, headers={**h, "If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.json["errors"] == {"expected_version": 1, "current_version": 2}
    garbage = client.patch(url, json={"description": "x"}, headers={**h, "If-Match": "yesterday"})
    assert garbage.status_code == 412
    assert client.get(url, headers=h).json["description"] == "Bring a ladder"


def test_illegal_transition_is_409_naming_both_states(client, world):
    order_id = world.ids["o_new"]
    response = client.post(
        f"/api/v1/orders/{order_id}/complete",
        json={},
        headers=world.h("dispatcher", **{"If-Match": etag_of(client, world, order_id)}),
    )
    assert response.status_code == 409
    assert (
        response.json["message"]
        == "cannot complete an order that is not yet planned (only one that is on site; it would then be completed)"
    )
    assert response.json["errors"] == {"current_status": "new", "target_status": "completed"}


def test_an_order_lives_from_booking_to_completion_and_its_timeline_tells_it(client, world):
    created = book(client, world).json
    oid = created["id"]
    steps = [
        (
            "assign",
            {"engineer_id": world.ids["e1"], "scheduled_start": tomorrow_at(9).isoformat()},
            "dispatcher",
            "scheduled",
        ),
        ("dispatch", None, "dispatcher", "dispatched"),
        ("accept", None, "engineer", "accepted"),
        ("start-travel", None, "engineer", "en_route"),
        ("check-in", None, "engineer", "on_site"),
        ("complete", {"notes": "Boiler serviced, flue checked"}, "engineer", "completed"),
    ]
    for action, body, role, status in steps:
        if action == "complete":  # a boiler service needs the customer's signature first
            signed = client.put(
                f"/api/v1/orders/{oid}/attachments/sig-1?kind=signature&signer_name=Grace%20Hall",
                data=png_bytes(),
                headers=world.h("engineer", **{"Content-Type": "image/png"}),
            )
            assert signed.status_code == 201, signed.json
        response = client.post(
            f"/api/v1/orders/{oid}/{action}",
            json=body,
            headers=world.h(role, **{"If-Match": etag_of(client, world, oid)}),
        )
        assert response.status_code == 200, (action, response.json)
        assert response.json["status"] == status
    timeline = client.get(f"/api/v1/orders/{oid}/events", headers=world.h("customer")).json
    assert [e["action"] for e in timeline] == [
        "created",
        "assign",
        "dispatch",
        "accept",
        "start_travel",
        "check_in",
        "signature_added",
        "complete",
    ]
    assert timeline[1]["before"]["status"] == "new"
    assert timeline[1]["after"]["status"] == "scheduled"
    assert timeline[3]["actor_role"] == "engineer"
    assert timeline[-1]["payload"] == {"notes": "Boiler serviced, flue checked"}


def test_assign_refuses_an_engineer_without_the_skill_or_a_start_outside_the_windows(client, world):
    oid = world.ids["o_new"]
    h = world.h("dispatcher", **{"If-Match": '"v1"'})
    socket = book(client, world, service_type_id=world.ids["socket-install"]).json
    no_skill = client.post(
        f"/api/v1/orders/{socket['id']}/assign", json={"engineer_id": world.ids["e2"]}, headers=h
    )
    assert no_skill.status_code == 422
    assert no_skill.json["message"] == "engineer Leo Smith lacks the skills this order needs: electrical"
    outside = client.post(
        f"/api/v1/orders/{oid}/assign",
        json={"engineer_id": world.ids["e1"], "scheduled_start": tomorrow_at(15).isoformat()},
        headers=h,
    )
    assert outside.status_code == 422
    assert outside.json["errors"] == {"scheduled_start": ["not inside any of the order's time windows"]}


def test_decline_returns_the_order_to_the_pool_with_the_reason(client, world):
    oid = world.ids["o_disp"]
    response = client.post(
        f"/api/v1/orders/{oid}/decline",
        json={"reason": "Van broke down"},
        headers=world.h("engineer", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 200
    order = response.json
    assert (order["status"], order["engineer"], order["status_reason"]) == (
        "declined",
        None,
        "Van broke down",
    )
    # The engineer no longer sees it; a dispatcher can give it to someone else.
    assert client.get(f"/api/v1/orders/{oid}", headers=world.h("engineer")).status_code == 404
    reassigned = client.post(
        f"/api/v1/orders/{oid}/assign",
        json={"engineer_id": world.ids["e3"]},
        headers=world.h("dispatcher", **{"If-Match": response.headers["ETag"]}),
    )
    assert reassigned.json["status"] == "scheduled"


def test_decline_and_cancel_need_a_reason(client, world):
    oid = world.ids["o_disp"]
    for action, role in (("decline", "engineer"), ("cancel", "customer")):
        response = client.post(
            f"/api/v1/orders/{oid}/{action}",
            json={"reason": ""},
            headers=world.h(role, **{"If-Match": etag_of(client, world, oid)}),
        )
        assert response.status_code == 422
        assert "reason" in response.json["errors"]["json"]


def test_cancel_is_refused_once_the_engineer_is_on_site(client, world):
    oid = world.ids["o_site"]
    response = client.post(
        f"/api/v1/orders/{oid}/cancel",
        json={"reason": "changed my mind"},
        headers=world.h("customer", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 409
    assert "an order that is on site" in response.json["message"]
    assert "cancelled" in response.json["message"]


def test_reschedule_replaces_windows_and_unassigns(client, world):
    oid = world.ids["o_disp"]
    response = client.post(
        f"/api/v1/orders/{oid}/reschedule",
        json={"time_windows": [win(16, 18)], "reason": "at work"},
        headers=world.h("customer", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 200
    order = response.json
    assert order["status"] == "new"
    assert order["engineer"] is None
    assert order["scheduled_start"] is None
    assert order["time_windows"] == [win(16, 18)]
    event = client.get(f"/api/v1/orders/{oid}/events", headers=world.h("admin")).json[-1]
    assert event["action"] == "reschedule"
    assert event["before"]["time_windows"] == [[tomorrow_at(10).isoformat(), tomorrow_at(12).isoformat()]]


def test_transfer_to_a_team_releases_an_engineer_outside_it(client, world):
    oid = world.ids["o_other"]  # dispatched to e2, who is in no team
    response = client.post(
        f"/api/v1/orders/{oid}/transfer",
        json={"team_id": world.ids["team"], "reason": "south covers Salford today"},
        headers=world.h("dispatcher", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 200
    assert (response.json["status"], response.json["engineer"], response.json["team"]["id"]) == (
        "new",
        None,
        world.ids["team"],
    )
    event = client.get(f"/api/v1/orders/{oid}/events", headers=world.h("admin")).json[-1]
    assert event["payload"]["from_engineer_id"] == world.ids["e2"]
    assert event["payload"]["reason"] == "south covers Salford today"


def test_transfer_needs_exactly_one_target(client, world):
    oid = world.ids["o_disp"]
    response = client.post(
        f"/api/v1/orders/{oid}/transfer",
        json={"reason": "x"},
        headers=world.h("dispatcher", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"engineer_id": ["give exactly one of engineer_id and team_id"]}


def test_closed_orders_cannot_be_edited(client, world):
    oid = world.ids["o_site"]
    client.post(
        f"/api/v1/orders/{oid}/complete",
        json={},
        headers=world.h("dispatcher", **{"If-Match": etag_of(client, world, oid)}),
    )
    response = client.patch(
        f"/api/v1/orders/{oid}",
        json={"priority": "high"},
        headers=world.h("agent", **{"If-Match": etag_of(client, world, oid)}),
    )
    assert response.status_code == 409
    assert response.json["message"] == f"order WO-{oid:06d} is completed; it can no longer change"


def test_the_orders_api_keeps_the_change_deadline_for_customers_too(app_settings, world):
    from api import create_app

    strict = create_app({**app_settings, "booking_change_hours": 240})
    client = strict.test_client()
    order_id = world.ids["o_new"]
    etag = client.get(f"/api/v1/orders/{order_id}", headers=world.headers["customer"]).headers["ETag"]
    refused = client.post(
        f"/api/v1/orders/{order_id}/cancel",
        json={"reason": "changed my mind"},
        headers={**world.headers["customer"], "If-Match": etag},
    )
    assert refused.status_code == 409
    assert "until 240 hours before" in refused.json["message"]
    # Staff are not bound by the customers' deadline.
    done = client.post(
        f"/api/v1/orders/{order_id}/cancel",
        json={"reason": "customer phoned"},
        headers={**world.headers["agent"], "If-Match": etag},
    )
    assert done.status_code == 200
    strict.extensions["dispatch.db"].engine.dispose()
