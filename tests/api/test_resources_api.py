"""Customers, catalog, engineers and shifts: the checks a back office relies on."""

from __future__ import annotations

from tests.factories import tomorrow_at


def test_customer_is_found_by_email_phone_or_external_id(client, world):
    h = world.h("agent")
    created = client.post(
        "/api/v1/customers",
        json={
            "name": "Harris Lettings",
            "email": "Office@Harris.example",
            "phone": "+44 (0)161 496-0123",
            "external_id": "ERP-42",
            "tier": "key_account",
            "contacts": [
                {"name": "Sam Harris", "phone": "07700 900123", "role": "landlord", "is_primary": True}
            ],
        },
        headers=h,
    )
    assert created.status_code == 201
    customer_id = created.json["id"]
    assert created.json["email"] == "office@harris.example"
    assert created.json["contacts"][0]["name"] == "Sam Harris"
    for query in (
        "email=office@harris.example",
        "phone=%2B44 0161 4960123",
        "external_id=ERP-42",
        "q=harris",
    ):
        found = client.get(f"/api/v1/customers?{query}", headers=h).json
        assert [c["id"] for c in found] == [customer_id], query


def test_duplicate_customer_email_is_409(client, world):
    response = client.post(
        "/api/v1/customers", json={"name": "Twin", "email": "grace@example.com"}, headers=world.h("agent")
    )
    assert response.status_code == 409
    assert response.json["errors"] == {"email": [f"already used by customer {world.ids['c1']}"]}


def test_customer_cannot_change_their_own_tier(client, world):
    response = client.patch(
        f"/api/v1/customers/{world.ids['c1']}", json={"tier": "vip"}, headers=world.h("customer")
    )
    assert response.status_code == 403


def test_service_type_skills_and_codes(client, world):
    h = world.h("dispatcher")
    created = client.post(
        "/api/v1/service-types",
        json={
            "code": "thermostat",
            "name": "Thermostat install",
            "default_duration_s": 3600,
            "skills": ["gas", "electrical"],
            "photos_required": True,
        },
        headers=h,
    )
    assert created.status_code == 201
    assert created.json["skills"] == ["electrical", "gas"]
    clash = client.post("/api/v1/skills", json={"code": "gas", "name": "again"}, headers=h)
    assert clash.status_code == 409
    bad_code = client.post("/api/v1/skills", json={"code": "Gas Safe!", "name": "x"}, headers=h)
    assert bad_code.status_code == 422
    needing_elec = client.get("/api/v1/service-types?skill=electrical", headers=h).json
    assert {t["code"] for t in needing_elec} == {"socket-install", "thermostat"}


def test_engineer_skills_and_team_change(client, world):
    url = f"/api/v1/engineers/{world.ids['e2']}"
    response = client.patch(
        url, json={"skills": ["electrical"], "team_id": world.ids["team"]}, headers=world.h("dispatcher")
    )
    assert response.status_code == 200
    assert (response.json["skills"], response.json["team_id"]) == (["electrical"], world.ids["team"])
    by_skill = client.get("/api/v1/engineers?skill=electrical", headers=world.h("dispatcher")).json
    assert {e["id"] for e in by_skill} == {world.ids["e1"], world.ids["e2"], world.ids["e3"]}
    event = client.get(
        f"/api/v1/events?entity_type=engineer&entity_id={world.ids['e2']}", headers=world.h("admin")
    ).json[0]
    assert event["before"]["skills"] == ["gas"]
    assert event["after"]["skills"] == ["electrical"]


def test_shift_times_must_fit_together(client, world):
    h = world.h("dispatcher")
    body = {
        "engineer_id": world.ids["e3"],
        "starts_at": tomorrow_at(8).isoformat(),
        "ends_at": tomorrow_at(17).isoformat(),
        "break_earliest": tomorrow_at(7).isoformat(),
        "break_latest": tomorrow_at(9).isoformat(),
        "break_duration_s": 1800,
    }
    response = client.post("/api/v1/shifts", json=body, headers=h)
    assert response.status_code == 422
    assert response.json["errors"] == {"break_earliest": ["the break window must lie inside the shift"]}
    body.update(break_earliest=tomorrow_at(12).isoformat(), break_latest=tomorrow_at(14).isoformat())
    created = client.post("/api/v1/shifts", json=body, headers=h)
    assert created.status_code == 201
    assert created.json["day"] == tomorrow_at(8).date().isoformat()
    twice = client.post("/api/v1/shifts", json=body, headers=h)
    assert twice.status_code == 409


def test_a_break_without_window_may_be_taken_any_time_in_the_shift(client, world):
    body = {
        "engineer_id": world.ids["e3"],
        "starts_at": tomorrow_at(8).isoformat(),
        "ends_at": tomorrow_at(16).isoformat(),
        "break_duration_s": 1800,
    }
    created = client.post("/api/v1/shifts", json=body, headers=world.h("dispatcher")).json
    assert (created["break_earliest"], created["break_latest"]) == (body["starts_at"], body["ends_at"])


def test_every_change_is_in_the_event_log_with_its_actor(client, world):
    client.patch(
        f"/api/v1/customers/{world.ids['c1']}", json={"name": "Grace Hall-Jones"}, headers=world.h("customer")
    )
    events = client.get("/api/v1/events?entity_type=customer", headers=world.h("dispatcher")).json
    latest = events[0]
    assert latest["action"] == "updated"
    assert latest["actor_user_id"] == world.ids["user_customer"]
    assert (latest["before"], latest["after"]) == ({"name": "Grace Hall"}, {"name": "Grace Hall-Jones"})
