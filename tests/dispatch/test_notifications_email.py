"""Notifications by email: written in the change's transaction, sent by the worker over real SMTP
(aiosmtpd on loopback), in the recipient's language, retried with backoff, logged try by try."""

# ruff: noqa: RUF001 - Chinese text has full-width punctuation
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from dispatch.access import SYSTEM, Actor, Role
from dispatch.config import Settings
from dispatch.customers.models import CustomerContact
from dispatch.db import make_session_factory, utcnow
from dispatch.mail import tokens
from dispatch.notifications import delivery
from dispatch.notifications.models import DeliveryAttempt, DeliveryStatus, Notification
from dispatch.tickets import conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, TicketStatus
from tests.conftest import TEST_SECRET
from tests.desk_factories import open_ticket
from tests.factories import make_customer, make_user
from tests.mailservers import smtp_server


def mail_settings(port: int, **extra) -> Settings:
    """Settings of a worker that sends through the loopback SMTP server."""
    return Settings(
        env="test",
        secret_key=TEST_SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        support_address="support@desk.example.com",
        mail_from="Acme Service <support@desk.example.com>",
        public_url="https://desk.example.com",
        **extra,
    )


@pytest.fixture
def sessions(clean_db):
    return make_session_factory(clean_db)


def _agent(session) -> Actor:
    user = make_user(session, Role.AGENT, "ann.agent@example.com")
    user.full_name = "Ann Agent"
    session.flush()
    return Actor(role=Role.AGENT, user_id=user.id)


def _ticket_with_reply(session, *, locale: str | None, body: str):
    customer_id = make_customer(session, "Li Wei", "li.wei@example.cn")
    session.add(
        CustomerContact(
            customer_id=customer_id, name="李伟", email="li.wei@example.cn", is_primary=True, locale=locale
        )
    )
    session.flush()
    ticket = open_ticket(session, customer_id, subject="热水器不工作")
    agent = _agent(session)
    conversation.add_message(
        session, actor=agent, ticket_id=ticket.id, kind=MessageKind.PUBLIC_REPLY, body=body
    )
    return ticket


def test_an_agents_reply_reaches_the_customer_in_chinese_as_a_threaded_email(sessions):
    with sessions() as session:
        ticket = _ticket_with_reply(session, locale="zh_Hans", body="您好，工程师明天上午会来检查热水器。")
        session.commit()
        row = session.scalar(select(Notification).where(Notification.event == "ticket.replied"))
        assert row is not None
        assert row.status is DeliveryStatus.PENDING
        ticket_id, number = ticket.id, ticket.number
    with smtp_server() as (port, inbox):
        outcome = delivery.deliver(sessions, mail_settings(port), row.id)
        assert outcome is not None
        assert outcome.ok, outcome
        received = inbox.wait(1)
    assert received[0].rcpt_tos == ["li.wei@example.cn"]
    assert received[0].raw.isascii()  # 7-bit clean on the wire: Chinese parts in base64
    raw_subject = received[0].raw.split(b"\r\nSubject: ", 1)[1].split(b"\r\n")[0]
    assert raw_subject.isascii(), raw_subject  # RFC 2047 on the wire, not raw UTF-8
    assert b"=?utf-8?" in raw_subject
    assert str(make_header(decode_header(raw_subject.decode()))) == f"[{number}] 回复：热水器不工作"
    message = received[0].message
    assert message["Subject"] == f"[{number}] 回复：热水器不工作"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain.get_content_charset() == "utf-8"
    assert html.get_content_charset() == "utf-8"
    assert plain["Content-Transfer-Encoding"] == "base64"
    assert "工程师明天上午会来检查热水器" in plain.get_content()
    assert "请在此行上方输入您的回复" in plain.get_content()
    assert "工程师明天上午会来检查热水器" in html.get_content()
    assert '<html lang="zh-Hans">' in html.get_content()
    assert f"https://desk.example.com/my/tickets/{ticket_id}" in plain.get_content()
    assert tokens.ticket_from_message_id(message["Message-ID"], TEST_SECRET) == ticket_id
    assert tokens.ticket_from_address(message["Reply-To"], TEST_SECRET) == ticket_id
    assert message["From"] == "Acme Service <support@desk.example.com>"
    assert message["Auto-Submitted"] is None  # a person wrote it: replies to it are welcome
    with sessions() as session:
        sent = session.get(Notification, row.id)
        assert sent.status is DeliveryStatus.SENT
        assert sent.message_id == message["Message-ID"]
        log = list(session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.notification_id == row.id)))
        assert [(a.number, a.ok) for a in log] == [(1, True)]
        assert "accepted by 127.0.0.1" in log[0].detail


def test_without_a_saved_language_the_company_default_is_used(sessions):
    with sessions() as session:
        _ticket_with_reply(session, locale=None, body="We will call you tomorrow.")
        session.commit()
        row_id = session.scalar(select(Notification.id).where(Notification.event == "ticket.replied"))
    with smtp_server() as (port, inbox):
        assert delivery.deliver(sessions, mail_settings(port, default_locale="zh_Hans"), row_id).ok
        message = inbox.wait(1)[0].message
    assert "回复：" in message["Subject"]
    with smtp_server() as (port, inbox), sessions() as session:
        session.execute(Notification.__table__.update().values(status="pending", next_attempt_at=utcnow()))
        session.commit()
        assert delivery.deliver(sessions, mail_settings(port), row_id).ok
        assert inbox.wait(1)[0].message["Subject"].endswith("Re: 热水器不工作")


def test_a_refused_try_is_retried_with_backoff_and_logged_each_time(sessions):
    with sessions() as session:
        _ticket_with_reply(session, locale="en", body="Sorry for the wait.")
        session.commit()
        row_id = session.scalar(select(Notification.id).where(Notification.event == "ticket.replied"))
    with smtp_server() as (port, inbox):
        settings = mail_settings(port, notification_retry_base_s=60, notification_max_attempts=3)
        inbox.answer = "451 Try again later"
        first = delivery.deliver(sessions, settings, row_id)
        assert first is not None
        assert not first.ok
        assert first.status is DeliveryStatus.PENDING
        assert delivery.deliver(sessions, settings, row_id) is None  # not due yet: nothing is sent twice
        with sessions() as session:
            row = session.get(Notification, row_id)
            wait = (row.next_attempt_at - utcnow()).total_seconds()
            assert 50 < wait <= 60
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
            session.commit()
        second = delivery.deliver(sessions, settings, row_id)
        assert not second.ok
        with sessions() as session:
            row = session.get(Notification, row_id)
            assert 110 < (row.next_attempt_at - utcnow()).total_seconds() <= 120  # doubled
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
            session.commit()
        inbox.answer = "250 OK"
        assert delivery.sweep(sessions, settings)["sent"] == 1
        assert len(inbox.wait(1)) == 1
    with sessions() as session:
        log = list(
            session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.notification_id == row_id)
                .order_by(DeliveryAttempt.id)
            )
        )
        assert [(a.number, a.ok) for a in log] == [(1, False), (2, False), (3, True)]
        assert "451" in log[0].detail


def test_a_permanent_refusal_is_not_retried(sessions):
    with sessions() as session:
        _ticket_with_reply(session, locale="en", body="Hello.")
        session.commit()
        row_id = session.scalar(select(Notification.id).where(Notification.event == "ticket.replied"))
    with smtp_server() as (port, inbox):
        inbox.answer = "550 No such mailbox"
        outcome = delivery.deliver(sessions, mail_settings(port), row_id)
    assert outcome.status is DeliveryStatus.FAILED
    assert "550" in outcome.detail


def test_a_worker_that_died_mid_send_leaves_the_row_to_the_sweeper(sessions):
    with sessions() as session:
        _ticket_with_reply(session, locale="en", body="Hello again.")
        session.commit()
        row_id = session.scalar(select(Notification.id).where(Notification.event == "ticket.replied"))
        assert delivery.claim(session, row_id)  # taken by a worker that then died
        session.commit()
    with smtp_server() as (port, inbox):
        settings = mail_settings(port)
        assert delivery.sweep(sessions, settings)["sent"] == 0  # its lease still runs
        with sessions() as session:
            session.get(Notification, row_id).locked_until = utcnow() - timedelta(seconds=1)
            session.commit()
        assert delivery.sweep(sessions, settings) == {"released": 1, "sent": 1, "failed": 0}
        assert len(inbox.wait(1)) == 1


def test_internal_notes_and_resolving_tell_the_right_people(sessions):
    with sessions() as session:
        ticket = _ticket_with_reply(session, locale="en", body="On it.")
        agent = Actor(role=Role.AGENT, user_id=ticket.messages[-1].author_user_id)
        conversation.add_message(
            session, actor=agent, ticket_id=ticket.id, kind=MessageKind.INTERNAL_NOTE, body="Check stock"
        )
        tickets.change_status(
            session, actor=agent, ticket_id=ticket.id, expected_version=None, status=TicketStatus.RESOLVED
        )
        session.commit()
        events = [n.event for n in session.scalars(select(Notification).order_by(Notification.id))]
    assert events == ["ticket.replied", "ticket.resolved"]  # nothing for the internal note
    with sessions() as session:
        tickets.give_to(
            session,
            actor=SYSTEM,
            ticket=tickets.get(session, actor=SYSTEM, ticket_id=ticket.id),
            user_id=agent.user_id,
            by="routing",
        )
        session.commit()
        row = session.scalar(select(Notification).where(Notification.event == "ticket.assigned"))
    assert row.to_address == "ann.agent@example.com"


def test_demo_without_a_mail_server_writes_each_email_to_a_folder(sessions, tmp_path):
    with sessions() as session:
        _ticket_with_reply(session, locale="en", body="Your engineer comes on Tuesday.")
        session.commit()
        row_id = session.scalar(select(Notification.id).where(Notification.event == "ticket.replied"))
    demo = Settings(env="demo", secret_key=TEST_SECRET, mail_outbox_path=str(tmp_path / "outbox"))
    assert demo.email_backend == "file"
    outcome = delivery.deliver(sessions, demo, row_id)
    assert outcome.ok, outcome
    (written,) = (tmp_path / "outbox").glob("*.eml")
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert "Your engineer comes on Tuesday." in message.get_body(("plain",)).get_content()
    assert message["To"] == "李伟 <li.wei@example.cn>"
    production = Settings(env="production", secret_key=TEST_SECRET)
    assert production.email_backend == "off"  # never a folder in production: set DISPATCH_SMTP_HOST
