"""Complaints over HTTP: the ETag rules, the refusals a desk client shows (limit, what resolving
needs, in the reader's language) and the repeat list."""

from __future__ import annotations

from tests.desk_factories import open_ticket


def test_a_complaint_is_filled_under_if_match_and_refusals_say_what_is_wrong(app, client, world):
    from dispatch.access import SYSTEM
    from dispatch.complaints import causes
    from dispatch.tickets.models import TicketKind

    with app.extensions["dispatch.db"].sessions() as session:
        late = causes.create(session, actor=SYSTEM, name="Late arrival")
        ticket = open_ticket(session, world.ids["c1"], "Nobody came", kind=TicketKind.COMPLAINT)
        session.commit()
        tid, cause_id = ticket.id, late.id
    agent = world.h("agent")
    url = f"/api/v1/complaints/{tid}"
    got = client.get(url, headers=agent)
    assert got.status_code == 200
    assert got.headers["ETag"] == '"v0"'
    assert got.json["missing_to_close"] == ["cause_id", "responsible"]
    assert got.json["your_limit_minor"] == 5_000  # no lead: the world's agent leads no desk team here

    assert client.patch(url, json={"grade": "major"}, headers=agent).status_code == 428
    too_much = client.patch(
        url, json={"compensation_minor": 9_000}, headers=world.h("agent", **{"If-Match": '"v0"'})
    )
    assert too_much.status_code == 403
    assert "limit of 5000" in too_much.json["message"]
    bad = client.patch(url, json={"compensation_minor": -1}, headers=world.h("agent", **{"If-Match": '"v0"'}))
    assert bad.status_code == 422

    resolve = client.get(f"/api/v1/tickets/{tid}", headers=agent)
    refused = client.post(
        f"/api/v1/tickets/{tid}/status",
        json={"status": "resolved"},
        headers=world.h("agent", **{"If-Match": resolve.headers["ETag"], "Accept-Language": "zh-CN"}),
    )
    assert refused.status_code == 409
    assert set(refused.json["errors"]) == {"cause_id", "responsible"}
    assert "根本原因" in refused.json["message"]

    saved = client.patch(
        url,
        json={
            "grade": "major",
            "cause_id": cause_id,
            "responsible": "partner",
            "responsible_partner": "Northern Boilers Ltd",
            "compensation_minor": 2_500,
        },
        headers=world.h("agent", **{"If-Match": '"v0"'}),
    )
    assert saved.status_code == 200, saved.json
    assert saved.headers["ETag"] == '"v1"'
    assert saved.json["missing_to_close"] == []
    assert saved.json["cause_path"] == ["Late arrival"]
    stale = client.patch(url, json={"grade": "minor"}, headers=world.h("agent", **{"If-Match": '"v0"'}))
    assert stale.status_code == 412
    resolve = client.get(f"/api/v1/tickets/{tid}", headers=agent)
    done = client.post(
        f"/api/v1/tickets/{tid}/status",
        json={"status": "resolved"},
        headers=world.h("agent", **{"If-Match": resolve.headers["ETag"]}),
    )
    assert done.status_code == 200
    listed = client.get("/api/v1/complaints?grade=major", headers=agent).json
    assert [c["ticket_id"] for c in listed] == [tid]
    assert client.get("/api/v1/complaints?repeat=true", headers=agent).json == []
