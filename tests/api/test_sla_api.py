"""Calendars, SLA policies, a ticket's clocks and the about-to-breach queue through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

API = "/api/v1"
OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE)
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _post(client, world, path, body, role="admin", **headers):
    return client.post(API + path, json=body, headers=world.h(role, **headers))


def _calendar(client, world, name="Manchester", zone="Europe/London", week=None):
    reply = _post(client, world, "/calendars", {"name": name, "time_zone": zone, "week": week or WEEK})
    assert reply.status_code == 201, reply.json
    return reply.json["id"], reply.headers["ETag"]


def test_an_admin_seeds_english_bank_holidays_and_the_calendar_skips_them(client, world):
    cal, tag = _calendar(client, world)
    seed = {"source": "holidays", "country": "GB", "subdiv": "ENG", "from_year": 2026, "to_year": 2026}
    assert _post(client, world, f"/calendars/{cal}/seed", seed).status_code == 428
    assert _post(client, world, f"/calendars/{cal}/seed", seed, **{"If-Match": '"v9"'}).status_code == 412
    reply = _post(client, world, f"/calendars/{cal}/seed", seed, **{"If-Match": tag})
    assert reply.status_code == 200, reply.json
    assert (reply.json["source"], reply.json["added"]) == ("holidays:GB-ENG", 9)
    days = client.get(
        f"{API}/calendars/{cal}/days?since=2026-04-01&until=2026-04-30", headers=world.h("agent")
    )
    assert [(d["day"], d["name"], d["intervals"]) for d in days.json] == [
        ("2026-04-03", "Good Friday", []),
        ("2026-04-06", "Easter Monday", []),
    ]
    # Thursday 17:30 before Easter + 1 business hour: Friday and Monday are bank holidays.
    due = client.get(
        f"{API}/calendars/{cal}/due?start=2026-04-02T16:30:00Z&seconds=3600", headers=world.h("agent")
    )
    assert due.json["due"] == "2026-04-07T08:00:00+00:00"  # Tuesday 09:00 BST
    # Seeding again replaces what it seeded; a day set by hand stays as the admin left it.
    tag = days.headers["ETag"]
    put = client.put(
        f"{API}/calendars/{cal}/days/2026-12-25",
        json={"intervals": [["09:00", "12:00"]], "name": "Christmas cover"},
        headers=world.h("admin", **{"If-Match": tag}),
    )
    assert put.status_code == 200, put.json
    again = _post(client, world, f"/calendars/{cal}/seed", seed, **{"If-Match": put.headers["ETag"]})
    assert (again.json["added"], again.json["replaced"], again.json["kept_manual"]) == (0, 8, 1)


def test_the_china_calendar_has_the_spring_festival_and_its_weekend_make_up_days(client, world):
    cal, tag = _calendar(client, world, "Shanghai", "Asia/Shanghai", {d: [["09:00", "18:00"]] for d in WEEK})
    seed = {"source": "chinese_calendar", "from_year": 2026, "to_year": 2027}
    reply = _post(client, world, f"/calendars/{cal}/seed", seed, **{"If-Match": tag})
    assert reply.status_code == 200, reply.json
    assert 2027 in reply.json["years_not_covered"]  # not announced when the library was released
    days = {d["day"]: d for d in client.get(f"{API}/calendars/{cal}/days", headers=world.h("agent")).json}
    assert days["2026-02-14"]["intervals"] == [["09:00", "18:00"]]  # Saturday, worked (调休)
    assert "春节" in days["2026-02-17"]["name"]
    assert days["2026-02-17"]["intervals"] == []
    # 2027's schedule is not announced yet: the statutory Spring Festival days are closed all the same.
    assert days["2027-02-08"]["intervals"] == []
    assert "statutory" in days["2027-02-08"]["name"]
    assert "2027-02-10" not in days  # a guessed extra day off is not invented
    # Friday 13 Feb 17:00 + 2 business hours: 1 h on Friday, then 1 h of the make-up Saturday.
    due = client.get(
        f"{API}/calendars/{cal}/due?start=2026-02-13T09:00:00Z&seconds=7200", headers=world.h("agent")
    )
    assert due.json["due"] == "2026-02-14T02:00:00+00:00"  # Saturday 10:00 in Shanghai


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "time_zone": "Mars/Olympus", "week": WEEK}, "time_zone"),
        ({"name": "X", "time_zone": "UTC", "week": {"mon": [["12:00", "08:00"]]}}, "working_hours.mon"),
        ({"name": "X", "time_zone": "UTC", "week": {"sat": []}}, "week"),
        ({"name": "X", "time_zone": "UTC", "week": {"funday": []}}, "working_hours.funday"),
    ],
)
def test_a_calendar_that_cannot_be_used_is_refused_saying_why(client, world, body, field):
    reply = _post(client, world, "/calendars", body)
    assert reply.status_code == 422
    assert field in reply.json["errors"]


def test_seeding_an_unknown_place_is_a_422_that_names_it(client, world):
    cal, tag = _calendar(client, world)
    body = {"source": "holidays", "country": "GB", "subdiv": "XXX", "from_year": 2026, "to_year": 2026}
    reply = _post(client, world, f"/calendars/{cal}/seed", body, **{"If-Match": tag})
    assert reply.status_code == 422
    assert "ENG" in reply.json["message"]


def _policy(client, world, cal, name, condition=None, **targets):
    body = {"name": name, "calendar_id": cal, "condition": condition or {}, **targets}
    return _post(client, world, "/sla-policies", body)


def test_a_catch_all_policy_must_stay_last(client, world):
    cal, _tag = _calendar(client, world)
    vip = _policy(client, world, cal, "VIP", {"field": "tier", "in": ["vip"]}, first_response_s=900)
    standard = _policy(client, world, cal, "Standard", resolution_s=8 * 3600)
    assert (vip.status_code, standard.status_code) == (201, 201)
    late = _policy(client, world, cal, "Faults", {"field": "kind", "in": ["fault"]}, resolution_s=3600)
    assert late.status_code == 422
    assert "must be the last one" in late.json["message"]
    ids = [standard.json["id"], vip.json["id"]]
    assert _post(client, world, "/sla-policies/reorder", {"policy_ids": ids}).status_code == 422
    no_target = _policy(client, world, cal, "Nothing", {"field": "kind", "in": ["fault"]})
    assert no_target.status_code == 422
    patched = client.patch(
        f"{API}/sla-policies/{vip.json['id']}",
        json={"first_response_s": 600},
        headers=world.h("admin", **{"If-Match": vip.headers["ETag"]}),
    )
    assert (patched.status_code, patched.json["first_response_s"]) == (200, 600)
    stale = client.patch(
        f"{API}/sla-policies/{vip.json['id']}",
        json={"first_response_s": 700},
        headers=world.h("admin", **{"If-Match": vip.headers["ETag"]}),
    )
    assert stale.status_code == 412


def _ticket(client, world, customer="c1", subject="No hot water"):
    body = {"kind": "fault", "subject": subject, "body": "F28 again", "customer_id": world.ids[customer]}
    reply = _post(client, world, "/tickets", body, role="agent")
    assert reply.status_code == 201, reply.json
    return reply.json


def test_the_desk_sees_a_tickets_clocks_with_time_left_and_why_its_policy(client, world, app):
    cal, _tag = _calendar(client, world, "Always", "UTC", ALWAYS)
    _policy(
        client,
        world,
        cal,
        "VIP",
        {"field": "tier", "in": ["vip"]},
        first_response_s=900,
        resolution_s=4 * 3600,
    )
    _policy(client, world, cal, "Standard", first_response_s=3600, resolution_s=8 * 3600)
    client.patch(f"{API}/customers/{world.ids['c1']}", json={"tier": "vip"}, headers=world.h("agent"))
    ticket = _ticket(client, world)
    reply = client.get(f"{API}/tickets/{ticket['id']}/clocks", headers=world.h("agent"))
    assert reply.status_code == 200
    body = reply.json
    assert body["reason"] == "policy 1 (VIP) is the first whose condition holds"
    first = next(c for c in body["clocks"] if c["kind"] == "first_response")
    assert first["state"] == "running"
    assert first["target_s"] == 900
    assert 890 <= first["business_seconds_left"] <= 900
    assert 890 <= first["wall_seconds_left"] <= 900
    reply = _post(client, world, f"/tickets/{ticket['id']}/messages", {"body": "On it"}, role="agent")
    assert reply.status_code == 201
    clocks = client.get(f"{API}/tickets/{ticket['id']}/clocks", headers=world.h("agent")).json["clocks"]
    assert next(c for c in clocks if c["kind"] == "first_response")["state"] == "stopped"
    assert client.get(f"{API}/tickets/{ticket['id']}/clocks", headers=world.h("customer")).status_code == 403


def test_the_about_to_breach_queue_lists_the_nearest_dues_first_one_row_per_ticket(client, world):
    cal, _tag = _calendar(client, world, "Always", "UTC", ALWAYS)
    _policy(
        client, world, cal, "VIP", {"field": "tier", "in": ["vip"]}, first_response_s=600, resolution_s=1800
    )
    _policy(client, world, cal, "Standard", first_response_s=1200, resolution_s=7200)
    slow = _ticket(client, world, "c2", "Standard one")
    client.patch(f"{API}/customers/{world.ids['c1']}", json={"tier": "vip"}, headers=world.h("agent"))
    fast = _ticket(client, world, "c1", "VIP one")
    reply = client.get(f"{API}/sla/about-to-breach?within_minutes=30", headers=world.h("agent"))
    rows = reply.json["items"]
    assert [(r["ticket"]["id"], r["clock"]["kind"]) for r in rows] == [
        (fast["id"], "first_response"),
        (slow["id"], "first_response"),
    ]
    soon_ = client.get(f"{API}/sla/about-to-breach?within_minutes=15", headers=world.h("agent")).json["items"]
    assert [r["ticket"]["id"] for r in soon_] == [fast["id"]]
    page = client.get(f"{API}/sla/about-to-breach?within_minutes=30&limit=1", headers=world.h("agent")).json
    assert [r["ticket"]["id"] for r in page["items"]] == [fast["id"]]
    rest = client.get(
        f"{API}/sla/about-to-breach?within_minutes=30&limit=1&cursor={page['next_cursor']}",
        headers=world.h("agent"),
    ).json
    assert [r["ticket"]["id"] for r in rest["items"]] == [slow["id"]]
    assert rest["next_cursor"] is None
    bad = client.get(f"{API}/sla/about-to-breach?cursor=yesterday", headers=world.h("agent"))
    assert bad.status_code == 422


def test_deleting_a_calendar_a_policy_uses_is_refused(client, world):
    cal, tag = _calendar(client, world)
    assert _policy(client, world, cal, "Standard", resolution_s=3600).status_code == 201
    reply = client.delete(f"{API}/calendars/{cal}", headers=world.h("admin", **{"If-Match": tag}))
    assert reply.status_code == 409
    assert "Standard" in reply.json["message"]


def test_a_start_far_away_or_a_huge_duration_is_a_422_not_a_crash(client, world):
    cal, _tag = _calendar(client, world)
    for query in ("start=1999-01-01T00:00:00Z&seconds=60", "start=2026-01-01T00:00:00Z&seconds=99999999999"):
        assert client.get(f"{API}/calendars/{cal}/due?{query}", headers=world.h("agent")).status_code == 422
    far = datetime(2099, 12, 31, tzinfo=UTC) - timedelta(days=1)
    reply = client.get(
        f"{API}/calendars/{cal}/due",
        query_string={"start": far.isoformat(), "seconds": 315_000_000},
        headers=world.h("agent"),
    )
    assert reply.status_code == 200
    assert reply.json["due"] > "2100"
