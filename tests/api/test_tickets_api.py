"""The desk through the API as its screens will use it: queues with counts, the ticket with ETag and
If-Match, the conversation with images, routing on arrival, assignment by the queued job, presence."""

from __future__ import annotations

import uuid

import pytest

from tests.desk_factories import build_desk, tokens
from tests.images import jpeg_bytes

API = "/api/v1"


@pytest.fixture
def desk(app, world):
    session = app.extensions["dispatch.db"].sessions()
    try:
        built = build_desk(session, world)
        session.commit()
        tokens(app, session, built, ["a1", "a2", "lead"])
    finally:
        session.close()
    return built


def settle(app):
    """Let the queued desk jobs (assignment) finish, as a worker would."""
    assert app.extensions["dispatch.queue"].wait_idle()


def new_ticket(client, world, role="agent", **body):
    body.setdefault("kind", "fault")
    body.setdefault("subject", "Radiator cold")
    body.setdefault("body", "The radiator in the hall stays cold.")
    if role != "customer":
        body.setdefault("customer_id", world.ids["c1"])
    response = client.post(f"{API}/tickets", json=body, headers=world.h(role))
    assert response.status_code == 201, response.json
    return response


def test_an_email_from_a_stranger_opens_a_ticket_once_however_often_it_is_retried(client, world, desk):
    key = str(uuid.uuid4())
    body = {
        "kind": "inquiry",
        "subject": "Quote for a new boiler",
        "body": "How much is a combi boiler?",
        "channel": "email",
        "sender": {"email": "new.person@example.net", "name": "New Person"},
    }
    first = client.post(f"{API}/tickets", json=body, headers=world.h("agent", **{"Idempotency-Key": key}))
    again = client.post(f"{API}/tickets", json=body, headers=world.h("agent", **{"Idempotency-Key": key}))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert first.json["number"] == f"T-{first.json['id']:06d}"
    assert first.headers["ETag"] == f'"v{first.json["version"]}"'
    queue = client.get(f"{API}/customer-contacts/review", headers=world.h("agent")).json
    assert [c["email"] for c in queue] == ["new.person@example.net"]
    beside = client.get(
        f"{API}/customers/{first.json['customer']['id']}/profile", headers=world.h("agent")
    ).json
    assert beside["review_contact_ids"] == [queue[0]["id"]]  # the desk offers to link or confirm it
    linked = client.post(
        f"{API}/customer-contacts/{queue[0]['id']}/link",
        json={"customer_id": world.ids["c2"]},
        headers=world.h("agent"),
    )
    assert linked.status_code == 200
    assert linked.json["customer_id"] == world.ids["c2"]
    ticket = client.get(first.headers["Location"], headers=world.h("agent")).json
    assert ticket["customer"]["id"] == world.ids["c2"]
    after = client.get(f"{API}/customers/{world.ids['c2']}/profile", headers=world.h("agent")).json
    assert after["review_contact_ids"] == []


def test_writes_need_the_etag_and_an_illegal_status_names_both_states(client, world, desk):
    created = new_ticket(client, world)
    url = created.headers["Location"]
    assert client.patch(url, json={"priority": "high"}, headers=world.h("agent")).status_code == 428
    stale = client.patch(url, json={"priority": "high"}, headers=world.h("agent", **{"If-Match": '"v0"'}))
    assert stale.status_code == 412
    changed = client.patch(
        url, json={"priority": "high"}, headers=world.h("agent", **{"If-Match": created.headers["ETag"]})
    )
    assert changed.status_code == 200
    assert changed.json["priority"] == "high"
    refused = client.post(
        f"{url}/status",
        json={"status": "closed"},
        headers=world.h("agent", **{"If-Match": changed.headers["ETag"]}),
    )
    assert refused.status_code == 409
    assert refused.json["errors"] == {"current_status": "new", "target_status": "closed"}
    assert "new" in refused.json["message"]
    assert "closed" in refused.json["message"]


def test_customers_see_their_conversation_without_notes_or_internal_fields(client, world, desk):
    created = new_ticket(client, world, role="customer", kind="inquiry", subject="When is my visit?")
    url = created.headers["Location"]
    assert created.json["channel"] == "portal"
    photo = client.put(
        f"{url}/attachments/{uuid.uuid4().hex}",
        data=jpeg_bytes(),
        headers=world.h("customer", **{"Content-Type": "image/jpeg"}),
    )
    assert photo.status_code == 201, photo.json
    sent = client.post(
        f"{url}/messages",
        json={"body": "Here is the boiler's display", "attachment_ids": [photo.json["id"]]},
        headers=world.h("customer"),
    )
    assert sent.status_code == 201
    assert sent.json["attachment_ids"] == [photo.json["id"]]
    client.post(
        f"{url}/messages", json={"kind": "internal_note", "body": "VIP, call back"}, headers=world.h("agent")
    )
    reply = client.post(f"{url}/messages", json={"body": "Tomorrow 10-12"}, headers=world.h("agent"))
    assert reply.status_code == 201
    shown = client.get(f"{url}/messages", headers=world.h("customer")).json
    assert [m["body"] for m in shown] == [
        "The radiator in the hall stays cold.",
        "Here is the boiler's display",
        "Tomorrow 10-12",
    ]
    ticket = client.get(url, headers=world.h("customer")).json
    assert "routing" not in ticket
    assert "owner" not in ticket
    assert ticket["status"] == "open"
    assert ticket["first_response_at"] is not None
    image = client.get(photo.json["content_url"], headers=world.h("customer"))
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert client.get(url, headers=world.h("engineer")).status_code == 404  # not linked to their job
    assert (
        client.post(
            f"{url}/messages", json={"kind": "internal_note", "body": "x"}, headers=world.h("customer")
        ).status_code
        == 403
    )


def test_a_rule_routes_the_ticket_and_the_queued_job_assigns_it_round_robin(client, app, world, desk):
    rule = client.post(
        f"{API}/routing-rules",
        json={
            "name": "Heating faults to first line",
            "condition": {
                "all": [{"field": "kind", "in": ["fault"]}, {"field": "subject", "words": ["radiator"]}]
            },
            "actions": {"team_id": desk.ids["first"], "priority": "high", "tags": ["heating"]},
        },
        headers=world.h("admin"),
    )
    assert rule.status_code == 201, rule.json
    ids = [new_ticket(client, world).json["id"] for _ in range(4)]
    settle(app)
    got = [client.get(f"{API}/tickets/{i}", headers=world.h("agent")).json for i in ids]
    assert {t["team"]["code"] for t in got} == {"first"}
    assert {t["priority"] for t in got} == {"high"}
    assert got[0]["routing"]["rule_id"] == rule.json["id"]
    assert "Heating faults" in got[0]["routing"]["reason"]
    owners = [t["assignee"]["id"] for t in got]
    members = sorted([desk.ids["a1"], desk.ids["a2"], desk.ids["a3"], world.ids["user_agent"]])
    assert sorted(owners) == members  # four tickets, four agents: one each
    mine = client.get(f"{API}/tickets?queue=mine", headers=desk.headers["a1"]).json
    assert len(mine["items"]) == 1
    assert mine["next_cursor"] is None
    counts = {
        (c["name"], c["team_id"]): c
        for c in client.get(f"{API}/tickets/queues", headers=desk.headers["a1"]).json
    }
    assert counts[("mine", None)]["count"] == 1
    assert counts[("team", desk.ids["first"])]["count"] == 4
    assert counts[("unassigned", None)] == {
        "name": "unassigned",
        "team_id": None,
        "count": 0,
        "capped": False,
    }


def test_queues_page_with_a_cursor_and_filter(client, world, desk):
    for i in range(5):
        new_ticket(client, world, subject=f"Question {i}", kind="inquiry" if i % 2 else "fault")
    first = client.get(f"{API}/tickets?queue=unassigned&limit=2", headers=world.h("agent")).json
    second = client.get(
        f"{API}/tickets?queue=unassigned&limit=2&cursor={first['next_cursor']}", headers=world.h("agent")
    ).json
    third = client.get(
        f"{API}/tickets?queue=unassigned&limit=2&cursor={second['next_cursor']}", headers=world.h("agent")
    ).json
    subjects = [t["subject"] for page in (first, second, third) for t in page["items"]]
    assert subjects == [f"Question {i}" for i in (4, 3, 2, 1, 0)]
    assert third["next_cursor"] is None
    faults = client.get(
        f"{API}/tickets?kind=fault&customer_id={world.ids['c1']}", headers=world.h("agent")
    ).json
    assert [t["subject"] for t in faults["items"]] == ["Question 4", "Question 2", "Question 0"]
    assert client.get(f"{API}/tickets?queue=mine", headers=world.h("customer")).status_code == 403


def test_a_rule_that_makes_no_sense_is_refused_saying_where(client, world, desk):
    bad = client.post(
        f"{API}/routing-rules",
        json={
            "name": "x",
            "condition": {"all": [{"field": "colour", "in": ["red"]}]},
            "actions": {"priority": "high"},
        },
        headers=world.h("admin"),
    )
    assert bad.status_code == 422
    assert "condition.all[0].field" in bad.json["message"]
    assert "colour" in bad.json["errors"]["condition.all[0].field"][0]
    no_team = client.post(
        f"{API}/routing-rules",
        json={"name": "y", "condition": {"all": []}, "actions": {"team_id": 999}},
        headers=world.h("admin"),
    )
    assert no_team.status_code == 422
    assert "actions.team_id" in no_team.json["errors"]


def test_an_agent_back_from_away_gets_the_tickets_that_waited(client, app, world, desk):
    for name in ("a1", "a2", "a3"):
        client.post(f"{API}/agents/{desk.ids[name]}/presence", json={"away": True}, headers=world.h("admin"))
    client.post(
        f"{API}/agents/{world.ids['user_agent']}/presence", json={"away": True}, headers=world.h("agent")
    )
    ids = [new_ticket(client, world, team_id=desk.ids["first"]).json["id"] for _ in range(2)]
    settle(app)
    assert all(
        client.get(f"{API}/tickets/{i}", headers=world.h("agent")).json["assignee"] is None for i in ids
    )
    assert (
        client.post(
            f"{API}/agents/{desk.ids['a2']}/presence", json={"away": False}, headers=world.h("agent")
        ).status_code
        == 403
    )
    back = client.post(
        f"{API}/agents/{desk.ids['a2']}/presence", json={"away": False}, headers=desk.headers["a2"]
    )
    assert back.status_code == 200
    assert back.json["away"] is False
    settle(app)
    assert {
        client.get(f"{API}/tickets/{i}", headers=world.h("agent")).json["assignee"]["id"] for i in ids
    } == {desk.ids["a2"]}
    agent = client.get(f"{API}/agents/{desk.ids['a2']}", headers=world.h("agent")).json
    assert agent["open_tickets"] == 2
    assert agent["team_ids"] == [desk.ids["first"]]


def test_the_profile_beside_the_ticket(client, world, desk):
    new_ticket(client, world)
    profile = client.get(f"{API}/customers/{world.ids['c1']}/profile", headers=world.h("agent"))
    assert profile.status_code == 200
    body = profile.json
    assert body["customer"]["tier"] == "standard"
    assert [s["id"] for s in body["sites"]] == [world.ids["s1"]]
    assert len(body["open_orders"]) == 6
    assert len(body["open_tickets"]) == 1
    assert body["satisfaction"] is None  # never rated
    assert (
        client.get(f"{API}/customers/{world.ids['c1']}/profile", headers=world.h("customer")).status_code
        == 403
    )


def test_the_profile_shows_how_satisfied_the_customer_was_lately(app, client, world, desk):
    from datetime import timedelta

    from sqlalchemy import select

    from dispatch.access import SYSTEM
    from dispatch.db import utcnow
    from dispatch.orders import actions
    from dispatch.surveys import service as surveys
    from dispatch.surveys.models import Survey
    from dispatch.tickets import service as tickets
    from dispatch.tickets.models import TicketStatus
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        visit = actions.field_action(
            session, actor=SYSTEM, order_id=world.ids["o_site"], expected_version=None, action="complete"
        )
        ticket = open_ticket(session, world.ids["c1"], subject="Radiator cold", team_id=desk.ids["first"])
        tickets.change_status(
            session, actor=SYSTEM, ticket_id=ticket.id, expected_version=None, status=TicketStatus.RESOLVED
        )
        old = open_ticket(session, world.ids["c1"], subject="Tap drips", team_id=desk.ids["first"])
        tickets.change_status(
            session, actor=SYSTEM, ticket_id=old.id, expected_version=None, status=TicketStatus.RESOLVED
        )
        by = {
            s.order_id or s.ticket_id: s
            for s in session.scalars(select(Survey).where(Survey.customer_id == world.ids["c1"]))
        }
        long_ago = utcnow() - timedelta(days=120)
        surveys.answer(session, token=by[old.id].token, score=4, comment="Fine", now=long_ago)
        surveys.answer(session, token=by[visit.id].token, score=5, comment="Quick and tidy")
        surveys.answer(session, token=by[ticket.id].token, score=3, comment="Took two calls")
        session.commit()
        ids = {"visit": visit.id, "ticket": ticket.id, "old": old.id}
    body = client.get(f"{API}/customers/{world.ids['c1']}/profile", headers=world.h("agent")).json
    seen = body["satisfaction"]
    assert (seen["average"], seen["count"], seen["days"]) == (4.0, 2, 90)  # the 120-day-old answer is too old
    assert [(r["score"], r["order_id"] or r["ticket_id"]) for r in seen["recent"]] == [
        (3, ids["ticket"]),
        (5, ids["visit"]),
        (4, ids["old"]),
    ]
    assert seen["recent"][0]["comment"] == "Took two calls"


def test_an_engineer_reports_on_their_job_and_the_customer_does_not_see_the_report(client, world, desk):
    opened = client.post(
        f"{API}/tickets",
        json={
            "kind": "visit_request",
            "subject": "Needs a second visit",
            "body": "Flue is corroded, needs replacing; customer agreed.",
            "order_ids": [world.ids["o_disp"]],
        },
        headers=world.h("engineer"),
    )
    assert opened.status_code == 201, opened.json
    url = opened.headers["Location"]
    assert opened.json["channel"] == "engineer_app"
    assert opened.json["awaiting_message_id"] is None
    assert [m["kind"] for m in client.get(f"{url}/messages", headers=world.h("engineer")).json] == [
        "internal_note"
    ]
    assert client.get(f"{url}/messages", headers=world.h("customer")).json == []
    stale = client.post(
        f"{url}/messages", json={"body": "We will call you"}, headers=world.h("agent", **{"If-Match": '"v0"'})
    )
    assert stale.status_code == 412
    assert (
        client.get(f"{API}/tickets?order=oldest", headers=world.h("engineer")).json["items"][0]["id"]
        == opened.json["id"]
    )
