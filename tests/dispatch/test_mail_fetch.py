# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""Email in and out with the real protocols: imap-tools against pymap's IMAP server and smtplib
against aiosmtpd, both on loopback. Replies thread into their ticket (by our signed address, our
Message-IDs, In-Reply-To, or the subject tag), quoted text is cut for display, machines are ignored."""

from __future__ import annotations

import base64
import tempfile
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select

from dispatch.access import Actor, Role
from dispatch.attachments.storage import LocalBlobStore
from dispatch.config import Settings
from dispatch.customers.models import CustomerContact
from dispatch.db import make_session_factory
from dispatch.mail import fetch, intake
from dispatch.mail.models import InboundAttachment, InboundMail, MailboxState
from dispatch.notifications import delivery
from dispatch.notifications.models import Notification
from dispatch.tickets import conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, Ticket, TicketAttachment, TicketMessage, TicketStatus
from tests.conftest import TEST_SECRET
from tests.factories import make_customer, make_user
from tests.images import png_bytes
from tests.mailservers import IMAP_PASSWORD, IMAP_USER, imap_server, smtp_server

SUPPORT = "support@desk.example.com"


@pytest.fixture
def sessions(clean_db):
    return make_session_factory(clean_db)


@pytest.fixture
def imap():
    with imap_server() as port:
        yield port


def settings_for(imap_port: int, smtp_port: int = 25, tmp=None) -> Settings:
    return Settings(
        env="test",
        secret_key=TEST_SECRET,
        support_address=SUPPORT,
        public_url="https://desk.example.com",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_security="none",
        imap_username=IMAP_USER,
        imap_password=IMAP_PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        attachments_path=str(tmp) if tmp else "",
    )


def deliver(port: int, raw: bytes, folder: str = "INBOX") -> None:
    with MailBoxUnencrypted("127.0.0.1", port).login(IMAP_USER, IMAP_PASSWORD, initial_folder=None) as box:
        if not box.folder.exists(folder):
            box.folder.create(folder)
        box.append(raw, folder)


def mail(
    subject: str, body: str, *, sender: str = "li.wei@example.cn", to: str = SUPPORT, **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Li Wei <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.cn")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def run(sessions, settings, tmp_path) -> fetch.FetchResult:
    return fetch.fetch_mailbox(sessions, LocalBlobStore(tmp_path / "files"), settings, "INBOX")


def gbk_mail(subject: str, body: str, sender: str = "zhang.san@example.cn") -> bytes:
    """A message as Chinese clients send it: GBK header words and a GB18030 body (labelled GB2312)."""
    encoded = base64.b64encode(subject.encode("gbk")).decode()
    return (
        f"From: =?gbk?B?{base64.b64encode('张三'.encode('gbk')).decode()}?= <{sender}>\r\n"
        f"To: {SUPPORT}\r\nSubject: =?gbk?B?{encoded}?=\r\nMessage-ID: <gbk-1@example.cn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(body.encode("gb18030"))


def test_a_stranger_writing_in_gbk_opens_a_ticket_with_the_chinese_read_right(sessions, imap, tmp_path):
    settings = settings_for(imap)
    deliver(imap, gbk_mail("空调漏水怎么办", "您好，客厅的空调一直漏水，麻烦尽快派人来看看。䶮"))
    result = run(sessions, settings, tmp_path)
    assert result.fetched == 1
    assert result.outcomes == {"new_ticket": 1}
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.subject == "空调漏水怎么办"
        assert ticket.channel.value == "email"
        body = ticket.messages[0].body
        assert "客厅的空调一直漏水" in body
        assert body.endswith("䶮")  # a GB18030-only character, in a part labelled GB2312
        contact = session.scalar(
            select(CustomerContact).where(CustomerContact.email == "zhang.san@example.cn")
        )
        assert contact.needs_review  # an unknown sender: a new contact for an agent to review
        assert contact.name == "张三"
        stored = session.scalar(select(InboundMail))
        assert stored.raw.startswith(b"From: =?gbk?B?")  # kept as it came
        assert stored.ticket_id == ticket.id
        state = session.get(MailboxState, "INBOX")
        assert state.last_uid == stored.uid
        assert state.uidvalidity == stored.uidvalidity
    again = run(sessions, settings, tmp_path)
    assert again.fetched == 0  # by UID: nothing is taken twice


def _customer_ticket(session) -> Ticket:
    customer_id = make_customer(session, "Li Wei", "li.wei@example.cn")
    return tickets.create(
        session,
        actor=Actor(role=Role.ADMIN),
        new=tickets.NewTicket(
            kind=tickets.TicketKind.FAULT,
            subject="Boiler pressure drops",
            body="It drops to 0.5 bar.",
            customer_id=customer_id,
        ),
    )


def _agent_replies(session, ticket_id: int, text: str = "Please top it up to 1.5 bar and tell us.") -> int:
    user = make_user(session, Role.AGENT, "ann.agent@example.com")
    session.flush()
    conversation.add_message(
        session,
        actor=Actor(role=Role.AGENT, user_id=user.id),
        ticket_id=ticket_id,
        kind=MessageKind.PUBLIC_REPLY,
        body=text,
    )
    row = session.scalar(select(Notification).where(Notification.event == "ticket.replied"))
    return row.id


def test_a_customers_reply_to_our_email_threads_by_its_headers_and_loses_the_quote(sessions, imap, tmp_path):
    with sessions() as session:
        ticket = _customer_ticket(session)
        ticket_id = ticket.id
        row_id = _agent_replies(session, ticket_id)
        session.commit()
    with smtp_server() as (smtp_port, inbox):
        settings = settings_for(imap, smtp_port)
        assert delivery.deliver(sessions, settings, row_id).ok
        ours = inbox.wait(1)[0].message
    reply = mail(
        "Re: " + ours["Subject"],
        "Done, it holds at 1.5 bar now.\n\nOn Tue, 2 Dec 2026 at 10:00, Service desk <support@desk.example.com> wrote:\n"
        "> Please top it up to 1.5 bar and tell us.\n",
        to=SUPPORT,  # the client answered the From address, not Reply-To: the headers still thread it
        In_Reply_To=ours["Message-ID"],
        References=ours["Message-ID"],
    )
    deliver(imap, reply.as_bytes())
    assert run(sessions, settings, tmp_path).outcomes == {"reply": 1}
    with sessions() as session:
        message = session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
        ).all()[-1]
        assert message.body == "Done, it holds at 1.5 bar now."
        assert message.author_type.value == "customer"
        assert message.channel.value == "email"
        stored = session.scalar(select(InboundMail))
        assert stored.reason == "our message id"
        full = intake.original(session, inbound_id=stored.id)
        assert "> Please top it up" in full.text  # the full text is one click away
        told = session.scalar(select(Notification).where(Notification.event == "ticket.customer_replied"))
        assert told is None  # nobody has the ticket yet: no agent to tell


def test_a_qq_style_reply_without_headers_is_caught_by_the_signed_address_or_the_tag(
    sessions, imap, tmp_path
):
    with sessions() as session:
        ticket = _customer_ticket(session)
        ticket_id, number = ticket.id, ticket.number
        row_id = _agent_replies(session, ticket_id)
        session.commit()
    with smtp_server() as (smtp_port, inbox):
        settings = settings_for(imap, smtp_port)
        assert delivery.deliver(sessions, settings, row_id).ok
        ours = inbox.wait(1)[0].message
    qq_body = '好的，已经加压到1.5了。\n\n------------------ 原始邮件 ------------------\n发件人: "Service desk"<support@desk.example.com>;\n> Please top it up'
    by_address = mail("回复：" + ours["Subject"], qq_body, to=ours["Reply-To"])
    by_tag = mail(
        f"回复：[{number}] 还有一个问题",
        "热水也不够热。\n\n发件人：Service desk\n发送时间：2026年12月2日",
        to=SUPPORT,
    )
    stranger = mail(f"[{number}] spam", "I am not the customer.", sender="mallory@example.org")
    for message in (by_address, by_tag, stranger):
        deliver(imap, message.as_bytes())
    result = run(sessions, settings, tmp_path)
    assert result.outcomes == {"reply": 2, "new_ticket": 1}
    with sessions() as session:
        bodies = [
            m.body
            for m in session.scalars(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
            )
        ]
        assert bodies[-2:] == ["好的，已经加压到1.5了。", "热水也不够热。"]
        reasons = [m.reason for m in session.scalars(select(InboundMail).order_by(InboundMail.id))]
        assert reasons == [
            "reply address",
            "subject tag",
            "new conversation",
        ]  # a tag from a stranger is not enough


def test_utf8_base64_chinese_with_attachments_keeps_files_and_shows_images(sessions, imap, tmp_path):
    with sessions() as session:
        ticket_id = _customer_ticket(session).id
        number = session.get(Ticket, ticket_id).number
        session.commit()
    message = mail(f"[{number}] 照片", "")
    message.set_content("请看附件中的照片，锅炉显示屏上有错误代码。", charset="utf-8", cte="base64")
    message.add_attachment(png_bytes(), maintype="image", subtype="png", filename="锅炉.png")
    message.add_attachment(
        b"%PDF-1.4 fake invoice", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    deliver(imap, message.as_bytes())
    assert b"Content-Transfer-Encoding: base64" in message.as_bytes()
    assert run(sessions, settings_for(imap, tmp=tmp_path / "store"), tmp_path).outcomes == {"reply": 1}
    with sessions() as session:
        files = session.scalars(select(InboundAttachment).order_by(InboundAttachment.id)).all()
        assert [(f.filename, f.content_type) for f in files] == [
            ("锅炉.png", "image/png"),
            ("invoice.pdf", "application/pdf"),
        ]
        assert files[0].ticket_attachment_id is not None
        assert files[1].ticket_attachment_id is None  # only images show in the conversation
        store = LocalBlobStore(tmp_path / "files")
        assert store.get(files[1].sha256) == b"%PDF-1.4 fake invoice"
        last = session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
        ).all()[-1]
        assert last.body == "请看附件中的照片，锅炉显示屏上有错误代码。"
        link = session.get(TicketAttachment, files[0].ticket_attachment_id)
        assert link.message_id == last.id


def test_out_of_office_replies_and_bounces_are_kept_but_never_answered(sessions, imap, tmp_path):
    with sessions() as session:
        ticket = _customer_ticket(session)
        ticket_id, number = ticket.id, ticket.number
        session.commit()
    away = mail(
        f"Automatic reply: [{number}] Boiler",
        "I am away until Monday.",
        Auto_Submitted="auto-replied",
        X_Autoreply="yes",
    )
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@example.cn>"
    bounce["To"] = SUPPORT
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Return-Path"] = "<>"
    bounce.set_content("This is the mail system. Your message could not be delivered.")
    bounce.make_mixed()
    bounce.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b1"')
    bulk = mail("Newsletter", "Our offers", Precedence="bulk")
    for message in (away, bounce, bulk):
        deliver(imap, message.as_bytes())
    result = run(sessions, settings_for(imap), tmp_path)
    assert result.outcomes == {"automatic": 3}
    with sessions() as session:
        assert session.scalar(select(Ticket).where(Ticket.id != ticket_id)) is None
        assert len(session.get(Ticket, ticket_id).messages) == 1
        assert session.scalar(select(Notification)) is None  # nothing goes back: no mail loop
        reasons = sorted(m.reason for m in session.scalars(select(InboundMail)))
        assert reasons == ["Auto-Submitted: auto-replied", "Precedence: bulk", "delivery report (bounce)"]


def test_a_reply_by_email_reopens_a_resolved_ticket(sessions, imap, tmp_path):
    with sessions() as session:
        ticket = _customer_ticket(session)
        ticket_id, number = ticket.id, ticket.number
        tickets.change_status(
            session,
            actor=Actor(role=Role.ADMIN),
            ticket_id=ticket_id,
            expected_version=None,
            status=TicketStatus.RESOLVED,
        )
        session.commit()
    deliver(imap, mail(f"Re: [{number}] Boiler pressure drops", "It dropped again overnight.").as_bytes())
    assert run(sessions, settings_for(imap), tmp_path).outcomes == {"reply": 1}
    with sessions() as session:
        assert session.get(Ticket, ticket_id).status is TicketStatus.REOPENED


def test_a_rebuilt_mailbox_new_uidvalidity_takes_nothing_twice(sessions, imap, tmp_path):
    settings = settings_for(imap)
    first = mail("Question about my bill", "Why is it higher this month?")
    deliver(imap, first.as_bytes())
    assert run(sessions, settings, tmp_path).outcomes == {"new_ticket": 1}
    with MailBoxUnencrypted("127.0.0.1", imap).login(IMAP_USER, IMAP_PASSWORD) as box:
        before = box.folder.status("INBOX")["UIDVALIDITY"]
    # pymap's in-memory server gives a new UIDVALIDITY when the mailbox is made again
    with MailBoxUnencrypted("127.0.0.1", imap).login(IMAP_USER, IMAP_PASSWORD, initial_folder=None) as box:
        box.folder.create("Rebuilt")
        box.append(first.as_bytes(), "Rebuilt")
        box.append(mail("Another question", "And the meter reading?").as_bytes(), "Rebuilt")
    settings = Settings(**{**settings.__dict__, "imap_mailboxes": "Rebuilt"})
    result = fetch.fetch_mailbox(sessions, LocalBlobStore(tmp_path / "files"), settings, "Rebuilt")
    assert result.outcomes == {"duplicate": 1, "new_ticket": 1}
    with MailBoxUnencrypted("127.0.0.1", imap).login(IMAP_USER, IMAP_PASSWORD, initial_folder=None) as box:
        box.folder.delete("Rebuilt")
        box.folder.create("Rebuilt")
        box.append(first.as_bytes(), "Rebuilt")
        after = box.folder.status("Rebuilt")["UIDVALIDITY"]
    assert after != before
    again = fetch.fetch_mailbox(sessions, LocalBlobStore(tmp_path / "files"), settings, "Rebuilt")
    assert again.uidvalidity_changed
    assert again.outcomes == {"duplicate": 1}
    with sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 2


def test_the_benchmark_mailbox_goes_through_mail_fetch(imap):
    from dispatch.mail import bench

    with MailBoxUnencrypted("127.0.0.1", imap).login(IMAP_USER, IMAP_PASSWORD) as box:
        for raw in bench.messages(30):
            box.append(raw, "INBOX")
    assert bench.baseline(imap) > 0
    _seconds, outcomes, tickets = bench.run_fetch(imap, f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    assert sum(outcomes.values()) == 30
    assert outcomes.get("failed", 0) == 0
    assert tickets == outcomes["new_ticket"]


def test_an_agent_answering_a_notification_by_email_does_not_speak_as_the_customer(sessions, imap, tmp_path):
    with sessions() as session:
        ticket = _customer_ticket(session)
        ticket_id, number = ticket.id, ticket.number
        make_user(session, Role.AGENT, "ann.agent@example.com")
        session.commit()
    deliver(imap, mail(f"Re: [{number}] Assigned to you", "On it", sender="ann.agent@example.com").as_bytes())
    assert run(sessions, settings_for(imap), tmp_path).outcomes == {"failed": 1}
    with sessions() as session:
        assert len(session.get(Ticket, ticket_id).messages) == 1
        assert "staff" in session.scalar(select(InboundMail.reason))


def test_the_mail_fetch_command_takes_new_mail_once(clean_db, imap, tmp_path):
    from click.testing import CliRunner

    from dispatch import cli

    deliver(imap, mail("Leaking tap", "The kitchen tap drips.").as_bytes())
    env = {
        "DISPATCH_ENV": "test",
        "DISPATCH_DATABASE_URL": clean_db.url.render_as_string(hide_password=False),
        "DISPATCH_SECRET_KEY": TEST_SECRET,
        "DISPATCH_INSTANCE_PATH": str(tmp_path),
        "DISPATCH_IMAP_HOST": "127.0.0.1",
        "DISPATCH_IMAP_PORT": str(imap),
        "DISPATCH_IMAP_SECURITY": "none",
        "DISPATCH_IMAP_USERNAME": IMAP_USER,
        "DISPATCH_IMAP_PASSWORD": IMAP_PASSWORD,
    }
    result = CliRunner().invoke(cli.main, ["mail-fetch", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "INBOX: 1 messages" in result.output
    assert "1 new ticket" in result.output
    refused = CliRunner().invoke(
        cli.main, ["mail-fetch", "--once"], env={**env, "DISPATCH_IMAP_PASSWORD": "wrong"}
    )
    assert refused.exit_code == 1
    assert "mail fetch failed" in refused.output
