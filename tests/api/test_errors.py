"""One error shape everywhere, with a message that says what was wrong."""

from __future__ import annotations

import pytest


def assert_error(response, status):
    assert response.status_code == status
    body = response.json
    assert set(body) <= {"code", "status", "message", "errors"}
    assert body["code"] == status
    assert body["message"]
    return body


def test_unknown_route_is_a_json_404(client, world):
    assert_error(client.get("/api/v1/trucks", headers=world.h("admin")), 404)


def test_missing_order_is_404_with_its_id(client, world):
    body = assert_error(client.get("/api/v1/orders/999999", headers=world.h("admin")), 404)
    assert body["message"] == "order 999999 not found"


def test_wrong_method_is_405(client, world):
    assert_error(client.delete("/api/v1/orders", headers=world.h("admin")), 405)


def test_malformed_json_is_a_4xx_saying_so(client, world):
    response = client.post(
        "/api/v1/customers",
        data="{not json",
        headers={**world.h("agent"), "Content-Type": "application/json"},
    )
    body = assert_error(response, 400)
    assert "JSON" in body["message"] or "json" in body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "tier": "gold"}, "tier"),
        ({"name": "A", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_fields_are_422_per_field(client, world, body, field):
    response = client.post("/api/v1/customers", json=body, headers=world.h("agent"))
    assert field in assert_error(response, 422)["errors"]["json"]


def test_nothing_is_half_written_when_a_request_fails(client, world):
    # The engineer exists but lacks the skill: the order must stay exactly as it was.
    oid = world.ids["o_new"]
    socket = world.ids["socket-install"]
    before = client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json
    client.patch(
        f"/api/v1/orders/{oid}",
        json={"skills": ["electrical"]},
        headers=world.h("admin", **{"If-Match": '"v1"'}),
    )
    failed = client.post(
        f"/api/v1/orders/{oid}/assign",
        json={"engineer_id": world.ids["e2"]},
        headers=world.h("admin", **{"If-Match": '"v2"'}),
    )
    assert_error(failed, 422)
    after = client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json
    assert (after["status"], after["engineer"], after["version"]) == ("new", None, 2)
    assert before["status"] == after["status"]
    assert socket  # the catalog's second type stays untouched too


def test_health_check_reports_the_database_and_the_queue(client):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "queue": "ok"}


def test_start_page_links_the_docs(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs"' in page
    assert 'href="/api/openapi.json"' in page


def test_a_page_far_past_the_end_is_empty_not_an_error(client, world):
    response = client.get(f"/api/v1/orders?page={10**19}&page_size=50", headers=world.h("admin"))
    assert response.status_code == 200
    assert response.json == []


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "field"),
    [
        ("GET", "/api/v1/orders?engineer_id=2147483648", None, 422, "engineer_id"),
        ("GET", "/api/v1/orders/2147483648", None, 404, None),
        ("POST", "/api/v1/customers", {"name": "Nul\x00Byte"}, 422, "name"),
        ("GET", "/api/v1/orders?window_from=0001-01-01T00:00:00%2B05:00", None, 422, "window_from"),
    ],
)
def test_values_no_database_can_store_are_refused_at_the_door(
    client, world, method, url, body, status, field
):
    response = client.open(url, method=method, json=body, headers=world.h("admin"))
    error = assert_error(response, status)
    if field:
        assert field in str(error["errors"])
