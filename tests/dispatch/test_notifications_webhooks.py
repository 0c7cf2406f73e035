"""Webhooks signed per Standard Webhooks, checked by a loopback receiver with the same library;
filtered per endpoint, retried, and replayed with the same webhook-id."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dispatch import cli
from dispatch.access import SYSTEM, Actor, Role
from dispatch.config import Settings
from dispatch.db import make_session_factory, utcnow
from dispatch.errors import Invalid
from dispatch.notifications import delivery, webhooks
from dispatch.notifications.models import Channel, DeliveryAttempt, DeliveryStatus, Notification
from dispatch.tickets import conversation
from dispatch.tickets.models import MessageKind
from tests.conftest import TEST_SECRET
from tests.desk_factories import open_ticket
from tests.factories import make_customer, make_user
from tests.mailservers import Calls, webhook_receiver


@pytest.fixture
def sessions(clean_db):
    return make_session_factory(clean_db)


SETTINGS = Settings(
    env="test",
    secret_key=TEST_SECRET,
    public_url="https://desk.example.com",
    notification_retry_base_s=30,
    webhook_allow_private=True,  # the receivers here are on loopback
)


def _reply(session) -> int:
    customer_id = make_customer(session, "Grace Hall", "grace@example.com")
    ticket = open_ticket(session, customer_id)
    agent = make_user(session, Role.AGENT, "ann.agent@example.com")
    session.flush()
    conversation.add_message(
        session,
        actor=Actor(role=Role.AGENT, user_id=agent.id),
        ticket_id=ticket.id,
        kind=MessageKind.PUBLIC_REPLY,
        body="We are on it.",
    )
    return ticket.id


def test_a_signed_call_reaches_each_endpoint_that_wants_the_event(sessions):
    calls = Calls()
    with webhook_receiver(calls) as url, sessions() as session:
        wanted, made_secret = webhooks.create_endpoint(session, actor=SYSTEM, url=url, events=["ticket.*"])
        assert made_secret
        calls.secret = wanted.secret
        webhooks.create_endpoint(session, actor=SYSTEM, url=url + "/visits", events=["order.en_route"])
        ticket_id = _reply(session)
        session.commit()
        rows = session.scalars(select(Notification).where(Notification.channel == Channel.WEBHOOK)).all()
        assert [(r.event, r.endpoint_id) for r in rows] == [("ticket.replied", wanted.id)]  # the filter held
        outcome = delivery.deliver(sessions, SETTINGS, rows[0].id)
        assert outcome.ok, outcome
    assert len(calls.items) == 1
    call = calls.items[0]
    assert call["verified"]  # signature checked by standardwebhooks on the receiving side
    assert call["headers"]["webhook-id"] == rows[0].message_id
    assert call["headers"]["webhook-signature"].startswith("v1,")
    assert call["payload"]["type"] == "ticket.replied"
    assert call["payload"]["data"]["body"] == "We are on it."
    assert call["payload"]["data"]["links"]["desk"] == f"https://desk.example.com/desk/tickets/{ticket_id}"


def test_a_failing_receiver_gets_retries_and_a_replay_sends_the_same_id_again(sessions):
    calls = Calls(status=500)
    with webhook_receiver(calls) as url:
        with sessions() as session:
            endpoint, _ = webhooks.create_endpoint(session, actor=SYSTEM, url=url)
            calls.secret = endpoint.secret
            _reply(session)
            session.commit()
            row_id = session.scalar(select(Notification.id).where(Notification.channel == Channel.WEBHOOK))
        first = delivery.deliver(sessions, SETTINGS, row_id)
        assert not first.ok
        assert first.status is DeliveryStatus.PENDING
        assert "HTTP 500" in first.detail
        calls.status = 200
        with sessions() as session:
            session.get(Notification, row_id).next_attempt_at = utcnow() - timedelta(seconds=1)
            session.commit()
        assert delivery.sweep(sessions, SETTINGS)["sent"] == 1
        assert [c["verified"] for c in calls.items] == [True, True]
        result = CliRunner().invoke(
            cli.main,
            [
                "webhooks",
                "replay",
                "--since",
                (utcnow() - timedelta(hours=1)).isoformat(),
                "--endpoint",
                str(endpoint.id),
            ],
            env={
                "DISPATCH_ENV": "test",
                "DISPATCH_DATABASE_URL": str(sessions.kw["bind"].url.render_as_string(hide_password=False)),
                "DISPATCH_SECRET_KEY": TEST_SECRET,
            },
        )
        assert result.exit_code == 0, result.output
        assert "1 webhook calls since" in result.output
        assert delivery.sweep(sessions, SETTINGS)["sent"] == 1
    ids = {c["headers"]["webhook-id"] for c in calls.items}
    assert len(calls.items) == 3
    assert len(ids) == 1  # every try and the replay carry one id: receivers can drop duplicates
    with sessions() as session:
        log = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == row_id)
            .order_by(DeliveryAttempt.id)
        ).all()
        assert [(a.number, a.ok) for a in log] == [(1, False), (2, True), (3, True)]


def test_a_call_to_a_private_address_is_refused_unless_allowed_and_redirects_are_not_followed(sessions):
    calls, elsewhere = Calls(), Calls()
    with webhook_receiver(calls) as url, webhook_receiver(elsewhere) as other_url:
        with sessions() as session:
            endpoint, _ = webhooks.create_endpoint(session, actor=SYSTEM, url=url)
            calls.secret = endpoint.secret
            _reply(session)
            session.commit()
            row_id = session.scalar(select(Notification.id).where(Notification.channel == Channel.WEBHOOK))
        guarded = dataclasses.replace(SETTINGS, webhook_allow_private=False)
        refused = delivery.deliver(sessions, guarded, row_id)
        assert (refused.ok, refused.status) == (False, DeliveryStatus.FAILED)  # not retried for ever
        assert "127.0.0.1" in refused.detail
        assert "DISPATCH_WEBHOOK_ALLOW_PRIVATE" in refused.detail
        assert calls.items == []  # not one byte of the body reached the receiver
        # Allowed, a receiver that redirects elsewhere gets the call; the redirect is not followed.
        with sessions() as session:
            row = session.get(Notification, row_id)
            row.status, row.next_attempt_at = DeliveryStatus.PENDING, utcnow()
            session.commit()
        calls.status, calls.location = 307, other_url
        moved = delivery.deliver(sessions, SETTINGS, row_id)
        assert not moved.ok
        assert "HTTP 307" in moved.detail
    assert len(calls.items) == 1
    assert elsewhere.items == []


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_which_addresses_a_call_may_reach(address, allowed):
    assert webhooks.reachable(address) is allowed


def test_endpoints_are_checked_and_only_admins_manage_them(sessions):
    with sessions() as session:
        with pytest.raises(Invalid):
            webhooks.create_endpoint(session, actor=SYSTEM, url="ftp://example.com/x")
        with pytest.raises(Invalid):
            webhooks.create_endpoint(
                session, actor=SYSTEM, url="https://example.com/x", events=["ticket.exploded"]
            )
        with pytest.raises(Invalid):
            webhooks.create_endpoint(
                session, actor=SYSTEM, url="https://example.com/x", secret="not-a-secret"
            )
        from dispatch.errors import Forbidden

        with pytest.raises(Forbidden):
            webhooks.create_endpoint(
                session, actor=Actor(role=Role.DISPATCHER, user_id=1), url="https://example.com/x"
            )
