"""Field rules and repeated steps: an engineer checks in only on the visit's day and at one job at a
time (409 naming both orders); a step the same person already made is a success, applied once."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from dispatch.db import utcnow
from dispatch.orders.models import Order

API = "/api/v1"


@pytest.fixture(scope="module")
def app(app_settings: dict[str, Any]) -> Any:
    """The app with the field rules on, as deployed."""
    made = create_app({**app_settings, "field_rules": True})
    yield made
    made.extensions["dispatch.db"].engine.dispose()


def etag(client, world, oid):
    return client.get(f"{API}/orders/{oid}", headers=world.h("admin")).headers["ETag"]


def act(client, world, oid, action, body=None, role="engineer", if_match=None, key=None):
    headers = world.h(role, **{"If-Match": if_match or etag(client, world, oid)})
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"{API}/orders/{oid}/{action}", json=body or {}, headers=headers)


def order(client, world, oid):
    return client.get(f"{API}/orders/{oid}", headers=world.h("admin")).json


def actions_of(client, world, oid):
    return [e["action"] for e in client.get(f"{API}/orders/{oid}/events", headers=world.h("admin")).json]


def visit_today(app, oid):
    """Plan the visit for now (the world's visits are tomorrow)."""
    session = app.extensions["dispatch.db"].sessions()
    session.get(Order, oid).scheduled_start = utcnow()
    session.commit()
    session.close()


def test_an_engineer_checks_in_only_on_the_visits_day_and_at_one_job_at_a_time(client, world, app):
    oid = world.ids["o_route"]  # planned for tomorrow
    number = order(client, world, oid)["number"]
    tomorrow = order(client, world, oid)["scheduled_start"][:10]
    early = act(client, world, oid, "check-in")
    assert early.status_code == 409, early.json
    assert number in early.json["message"]
    assert f"a visit on {tomorrow}, not today" in early.json["message"]
    assert early.json["errors"] == {"day": [f"the visit is on {tomorrow}"]}
    assert order(client, world, oid)["status"] == "en_route"

    visit_today(app, oid)
    busy = order(client, world, world.ids["o_site"])["number"]  # the engineer is on site there
    twice = act(client, world, oid, "check-in")
    assert twice.status_code == 409, twice.json
    assert busy in twice.json["message"]
    assert number in twice.json["message"]
    assert twice.json["errors"] == {"order": [f"already on site at {busy}"]}
    assert order(client, world, oid)["status"] == "en_route"
    assert "check_in" not in actions_of(client, world, oid)

    # Once the other job is closed, the check-in goes through.
    closed = act(client, world, world.ids["o_site"], "incomplete", {"reason": "Part on order"})
    assert closed.status_code == 200, closed.json
    arrived = act(client, world, oid, "check-in")
    assert arrived.status_code == 200, arrived.json
    assert arrived.json["status"] == "on_site"


def test_the_rules_speak_the_readers_language(client, world):
    refused = client.post(
        f"{API}/orders/{world.ids['o_route']}/check-in",
        json={},
        headers=world.h(
            "engineer", **{"If-Match": etag(client, world, world.ids["o_route"]), "Accept-Language": "zh-CN"}
        ),
    )
    assert refused.status_code == 409
    assert "签到" in refused.json["message"]


def test_a_step_already_made_by_the_same_engineer_is_a_success_applied_once(client, world):
    oid = world.ids["o_disp"]
    first_version = etag(client, world, oid)
    first = act(client, world, oid, "accept", if_match=first_version, key="tap-1")
    assert first.status_code == 200
    # A double tap: another key, the version the phone had before the first answer.
    second = act(client, world, oid, "accept", if_match=first_version, key="tap-2")
    assert second.status_code == 200, second.json
    assert second.json["status"] == "accepted"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "Idempotent-Replayed" not in second.headers
    # The office edits the job meanwhile: the engineer's repeated accept is still no conflict.
    edited = client.patch(
        f"{API}/orders/{oid}",
        json={"description": "Side gate"},
        headers=world.h("dispatcher", **{"If-Match": etag(client, world, oid)}),
    )
    assert edited.status_code == 200
    third = act(client, world, oid, "accept", if_match=first_version, key="tap-3")
    assert third.status_code == 200
    assert third.json["description"] == "Side gate"
    assert actions_of(client, world, oid).count("accept") == 1
    # The same key again is still a replay of the first answer.
    replay = act(client, world, oid, "accept", if_match=first_version, key="tap-1")
    assert replay.headers["Idempotent-Replayed"] == "true"

    travel = act(client, world, oid, "start-travel", key="go-1")
    again = act(client, world, oid, "start-travel", if_match=first.headers["ETag"], key="go-2")
    assert (travel.status_code, again.status_code) == (200, 200)
    assert actions_of(client, world, oid).count("start_travel") == 1


def test_a_step_someone_else_made_or_an_older_one_is_still_a_conflict(client, world):
    oid = world.ids["o_acc"]  # accepted when the world was built, by the system, not by this engineer
    refused = act(client, world, oid, "accept")
    assert refused.status_code == 409
    assert "cannot accept an order that is accepted by the engineer" in refused.json["message"]
    mine = world.ids["o_disp"]
    assert act(client, world, mine, "accept").status_code == 200
    by_office = act(client, world, mine, "accept", role="dispatcher")
    assert by_office.status_code == 409  # not the dispatcher's own move
    assert act(client, world, mine, "start-travel").status_code == 200
    late = act(client, world, mine, "accept")  # the order has moved on since: a real conflict
    assert late.status_code == 409
    assert actions_of(client, world, mine).count("accept") == 1
