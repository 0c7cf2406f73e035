"""What people are told, hooked where each change happens, and the admin's side through the API:
the delivery log, webhook endpoints with write-only secrets, replay, mailbox status, incoming mail."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from dispatch.db import utcnow
from dispatch.notifications import delivery
from dispatch.notifications.models import DeliveryStatus, Notification
from dispatch.planning.models import Plan, PlanRoute, PlanStop
from tests.booking_world import build, days_ahead
from tests.factories import tomorrow_at

API = "/api/v1"


def outbox(app, event: str | None = None) -> list[Notification]:
    with app.extensions["dispatch.db"].sessions() as session:
        stmt = select(Notification).order_by(Notification.id)
        if event:
            stmt = stmt.where(Notification.event == event)
        return list(session.scalars(stmt))


def _etag(client, world, order: str) -> str:
    return client.get(f"{API}/orders/{world.ids[order]}", headers=world.h("dispatcher")).headers["ETag"]


def test_the_customer_hears_the_engineer_is_on_the_way_and_that_the_visit_is_done(client, app, world):
    before = len(outbox(app))  # building the world sent engineers on their way too
    url = f"{API}/orders/{world.ids['o_acc']}/start-travel"
    answer = client.post(url, headers=world.h("engineer", **{"If-Match": _etag(client, world, "o_acc")}))
    assert answer.status_code == 200, answer.json
    (row,) = [r for r in outbox(app, "order.en_route") if r.order_id == world.ids["o_acc"]]
    assert row.to_address == "grace@example.com"
    assert row.order_id == world.ids["o_acc"]
    assert row.context["engineer"] == "Freya"
    assert row.context["eta"] is not None
    assert len(row.context["tracking_token"]) >= 32
    done = client.post(
        f"{API}/orders/{world.ids['o_site']}/complete",
        json={"notes": "Replaced the valve"},
        headers=world.h("dispatcher", **{"If-Match": _etag(client, world, "o_site")}),
    )
    assert done.status_code == 200, done.json
    assert [r.order_id for r in outbox(app, "order.completed")] == [world.ids["o_site"]]
    check_in = client.post(
        f"{API}/orders/{world.ids['o_route']}/check-in",
        json={},
        headers=world.h("engineer", **{"If-Match": _etag(client, world, "o_route")}),
    )
    assert check_in.status_code == 200, check_in.json
    assert len(outbox(app)) == before + 2  # checking in tells nobody


def test_a_booking_is_confirmed_to_the_customer(client, app):
    from tests.api.test_booking_api import book, committed, slots

    bw = committed(app, lambda s: build(s, app, day=days_ahead(3)))
    chosen = slots(client, bw).json[0]
    assert book(client, bw, chosen).status_code == 201
    (row,) = outbox(app, "booking.confirmed")
    assert datetime.fromisoformat(row.context["window_starts_at"]) == datetime.fromisoformat(
        chosen["starts_at"]
    )
    assert row.context["service"] == "Boiler service"
    _rendered_in_both_languages(app, [row])


def test_publishing_tells_customers_whose_arrival_moved_more_than_the_margin(client, app, world):
    with app.extensions["dispatch.db"].sessions() as session:
        plan = session.get(Plan, world.ids["plan"])
        route = PlanRoute(
            plan_id=plan.id,
            engineer_id=world.ids["e1"],
            departs_at=tomorrow_at(8),
            returns_at=tomorrow_at(17),
            travel_distance_m=0,
            travel_time_s=0,
        )
        session.add(route)
        session.flush()
        for seq, (name, start) in enumerate(
            (("o_disp", tomorrow_at(11, 30)), ("o_sched", tomorrow_at(10, 10)))
        ):
            session.add(
                PlanStop(
                    route_id=route.id,
                    order_id=world.ids[name],
                    sequence=seq,
                    arrives_at=start,
                    starts_at=start,
                    departs_at=start + timedelta(hours=1),
                    travel_time_s=0,
                    travel_distance_m=0,
                )
            )
        session.commit()
    answer = client.post(f"{API}/plans/{world.ids['plan']}/publish", headers=world.h("dispatcher"))
    assert answer.status_code == 200, answer.json
    moved = outbox(app, "order.eta_changed")
    assert [r.order_id for r in moved] == [
        world.ids["o_disp"]
    ]  # 90 minutes later; 10 minutes is not worth a mail
    assert moved[0].context["previous_eta"] == tomorrow_at(10).isoformat()


@pytest.fixture
def agent_reply(client, app, world):
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        ticket_id = open_ticket(session, world.ids["c1"]).id
        session.commit()
    answer = client.post(
        f"{API}/tickets/{ticket_id}/messages",
        json={"body": "We will come tomorrow."},
        headers=world.h("agent"),
    )
    assert answer.status_code == 201
    app.extensions["dispatch.queue"].wait_idle()  # the worker tried it (email is off in tests)
    return ticket_id


def test_the_delivery_log_shows_each_message_and_each_try(client, app, world, agent_reply):
    listed = client.get(f"{API}/notifications?event=ticket.replied", headers=world.h("admin"))
    assert listed.status_code == 200
    (item,) = listed.json
    assert item["ticket_id"] == agent_reply
    assert item["status"] == "failed"
    assert "DISPATCH_SMTP_HOST" in item["last_error"]
    detail = client.get(f"{API}/notifications/{item['id']}", headers=world.h("admin")).json
    assert detail["context"]["body"] == "We will come tomorrow."
    assert [(t["number"], t["ok"]) for t in detail["tries"]] == [(1, False)]
    again = client.post(f"{API}/notifications/{item['id']}/retry", headers=world.h("admin"))
    assert again.status_code == 200
    assert again.json["status"] in ("pending", "failed")
    assert client.get(f"{API}/notifications", headers=world.h("dispatcher")).status_code == 403
    assert client.get(f"{API}/notifications?event=nonsense", headers=world.h("admin")).status_code == 422


def test_a_sent_message_is_not_sent_again_by_retry(client, app, world, agent_reply):
    with app.extensions["dispatch.db"].sessions() as session:
        row = session.scalar(select(Notification))
        row.status = DeliveryStatus.SENT
        session.commit()
        row_id = row.id
    answer = client.post(f"{API}/notifications/{row_id}/retry", headers=world.h("admin"))
    assert answer.status_code == 409
    assert "not sent again" in answer.json["message"]


def test_webhook_endpoint_secrets_are_write_only(client, world):
    made = client.post(
        f"{API}/webhook-endpoints",
        json={"url": "https://hooks.example.com/in", "events": ["ticket.*"]},
        headers=world.h("admin"),
    )
    assert made.status_code == 201, made.json
    assert made.json["signing_secret"].startswith("whsec_")  # shown this once
    endpoint_id = made.json["id"]
    shown = client.get(f"{API}/webhook-endpoints/{endpoint_id}", headers=world.h("admin")).json
    assert "secret" not in shown
    assert "signing_secret" not in shown
    own = client.post(
        f"{API}/webhook-endpoints",
        json={"url": "https://hooks.example.com/b", "secret": "whsec_" + "A" * 44},
        headers=world.h("admin"),
    )
    assert own.status_code == 201
    assert own.json["signing_secret"] is None  # the admin gave it: never echoed
    bad = client.post(
        f"{API}/webhook-endpoints", json={"url": "javascript:alert(1)"}, headers=world.h("admin")
    )
    assert bad.status_code == 422
    assert "url" in bad.json["errors"]
    changed = client.patch(
        f"{API}/webhook-endpoints/{endpoint_id}", json={"active": False}, headers=world.h("admin")
    )
    assert changed.json["active"] is False
    replay = client.post(
        f"{API}/webhook-endpoints/replay",
        json={"since": (utcnow() - timedelta(days=1)).isoformat()},
        headers=world.h("admin"),
    )
    assert replay.status_code == 202
    assert replay.json["queued"] == 0
    assert (
        client.delete(f"{API}/webhook-endpoints/{endpoint_id}", headers=world.h("admin")).status_code == 204
    )
    assert client.get(f"{API}/webhook-endpoints/{endpoint_id}", headers=world.h("admin")).status_code == 404


def test_mailbox_status_and_incoming_messages(client, app, world):
    from dispatch.mail.models import InboundMail, InboundOutcome, MailboxState

    raw = b"From: a@example.org\r\nSubject: Hi\r\nMessage-ID: <x@example.org>\r\n\r\nHello\r\n\r\nOn Mon, Bob wrote:\r\n> old\r\n"
    with app.extensions["dispatch.db"].sessions() as session:
        session.add(MailboxState(mailbox="INBOX", uidvalidity=7, last_uid=3, fetched=3, last_error=""))
        session.add(
            InboundMail(
                mailbox="INBOX",
                uidvalidity=7,
                uid=3,
                raw=raw,
                outcome=InboundOutcome.AUTOMATIC,
                reason="test",
            )
        )
        session.commit()
    boxes = client.get(f"{API}/mail/mailboxes", headers=world.h("admin")).json
    assert boxes[0]["mailbox"] == "INBOX"
    assert boxes[0]["last_uid"] == 3
    assert boxes[0]["uidvalidity"] == 7
    (message,) = client.get(f"{API}/mail/messages", headers=world.h("agent")).json
    detail = client.get(f"{API}/mail/messages/{message['id']}", headers=world.h("agent")).json
    assert detail["shown_text"] == "Hello"
    assert "> old" in detail["full_text"]
    assert client.get(f"{API}/mail/messages", headers=world.h("customer")).status_code == 403


def _rendered_in_both_languages(app, rows: list[Notification]) -> None:
    """Every email the hooks wrote renders in English and Chinese with what the hook put in it."""
    settings = app.config["DISPATCH"]
    for row in rows:
        if row.channel.value != "email":
            continue
        english = delivery.render_for(row, settings, "en")
        chinese = delivery.render_for(row, settings, "zh_Hans")
        assert english.subject
        assert english.subject != chinese.subject, row.event
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.text), row.event
        assert "<html" in chinese.html


def test_every_visit_email_the_hooks_write_renders_in_both_languages(client, app, world):
    test_the_customer_hears_the_engineer_is_on_the_way_and_that_the_visit_is_done(client, app, world)
    test_publishing_tells_customers_whose_arrival_moved_more_than_the_margin(client, app, world)
    rows = outbox(app)
    assert {"order.en_route", "order.completed", "order.eta_changed"} <= {r.event for r in rows}
    _rendered_in_both_languages(app, rows)


def test_desk_emails_and_the_sla_seam_render_in_both_languages(client, app, world):
    from dispatch.notifications import desk
    from dispatch.tickets import service as tickets
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        ticket = open_ticket(session, world.ids["c1"])
        tickets.give_to(
            session, actor=world.actors["admin"], ticket=ticket, user_id=world.ids["user_agent"], by="hand"
        )
        desk.clock_warning(
            session, ticket=ticket, clock="first_response", due_at=utcnow() + timedelta(minutes=20)
        )
        session.commit()
        ticket_id = ticket.id
    for body, role in (("Any news?", "customer"), ("Tomorrow at ten.", "agent")):
        assert (
            client.post(
                f"{API}/tickets/{ticket_id}/messages", json={"body": body}, headers=world.h(role)
            ).status_code
            == 201
        )
    status = client.get(f"{API}/tickets/{ticket_id}", headers=world.h("agent"))
    resolved = client.post(
        f"{API}/tickets/{ticket_id}/status",
        json={"status": "resolved"},
        headers=world.h("agent", **{"If-Match": status.headers["ETag"]}),
    )
    assert resolved.status_code == 200, resolved.json
    rows = [r for r in outbox(app) if r.ticket_id == ticket_id]
    assert [(r.event, r.to_address) for r in rows] == [
        ("ticket.assigned", "agent@example.com"),
        ("sla.warning", "agent@example.com"),
        ("ticket.customer_replied", "agent@example.com"),
        ("ticket.replied", "grace@example.com"),
        ("ticket.resolved", "grace@example.com"),
    ]
    _rendered_in_both_languages(app, rows)
