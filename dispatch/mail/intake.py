"""One incoming email onto the desk: ignore machines, thread a reply into its ticket, or open one.

Threading, in order: our signed reply address (``support+T123.<sig>@``), our own signed Message-IDs
in ``In-Reply-To`` / ``References``, those headers naming a message already on a ticket, then a
subject tag ``[T-000123]`` (only from the ticket's own customer: a tag alone is easy to type). Mail
clients that drop the reply headers (QQ Mail among them) are caught by the address or the tag.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, SYSTEM, Actor, Role
from dispatch.attachments.storage import BlobStore, digest_of
from dispatch.customers.models import Customer, CustomerContact
from dispatch.customers.recognition import Sender
from dispatch.errors import DomainError
from dispatch.mail import parsing, tokens
from dispatch.mail.models import InboundAttachment, InboundMail, InboundOutcome
from dispatch.notifications.models import Notification
from dispatch.tickets import conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import (
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from dispatch.users.models import User

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True)
class Intake:
    """Where a message went."""

    outcome: InboundOutcome
    reason: str
    ticket_id: int | None = None
    message_id: int | None = None


def _thread(session: Session, parsed: parsing.Parsed, secret: str) -> tuple[Ticket | None, str]:
    for address in parsed.recipients:
        ticket_id = tokens.ticket_from_address(address, secret)
        if ticket_id is not None:
            return session.get(Ticket, ticket_id), "reply address"
    ids = parsed.in_reply_to + list(reversed(parsed.references))
    for value in ids:
        ticket_id = tokens.ticket_from_message_id(value, secret)
        if ticket_id is not None:
            return session.get(Ticket, ticket_id), "our message id"
    if ids:
        found = session.scalar(
            select(TicketMessage.ticket_id).where(TicketMessage.external_id.in_(ids)).limit(1)
        )
        if found is None:
            found = session.scalar(
                select(Notification.ticket_id)
                .where(Notification.message_id.in_(ids), Notification.ticket_id.is_not(None))
                .limit(1)
            )
        if found is not None:
            return session.get(Ticket, found), "in-reply-to / references"
    tagged = parsing.subject_tag(parsed.subject)
    if tagged is not None:
        ticket = session.get(Ticket, tagged)
        if ticket is not None and _sender_belongs_to(session, parsed.from_address, ticket.customer_id):
            return ticket, "subject tag"
    return None, ""


def _sender_belongs_to(session: Session, address: str, customer_id: int) -> bool:
    if not address:
        return False
    customer = session.scalar(
        select(Customer.id).where(Customer.id == customer_id, func.lower(Customer.email) == address)
    )
    contact = session.scalar(
        select(CustomerContact.id).where(
            CustomerContact.customer_id == customer_id, func.lower(CustomerContact.email) == address
        )
    )
    return customer is not None or contact is not None


def _follow_merges(session: Session, ticket: Ticket) -> Ticket:
    seen = {ticket.id}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None:
            break
        seen.add(target.id)
        ticket = target
    return ticket


def _contact_of(session: Session, address: str, customer_id: int) -> int | None:
    return session.scalar(
        select(CustomerContact.id)
        .where(CustomerContact.customer_id == customer_id, func.lower(CustomerContact.email) == address)
        .order_by(CustomerContact.id)
        .limit(1)
    )


def _store_files(
    session: Session,
    store: BlobStore,
    *,
    inbound: InboundMail,
    parsed: parsing.Parsed,
    actor: Actor,
    ticket: Ticket,
    max_bytes: int,
    max_pixels: int,
) -> list[str]:
    """Every attachment into the attachment store; images also onto the ticket. Returns the images' ids."""
    images: list[str] = []
    for index, part in enumerate(parsed.attachments):
        if not part.data:
            continue
        digest = store.put(part.data)
        row = InboundAttachment(
            inbound_mail_id=inbound.id,
            filename=part.filename,
            content_type=part.content_type[:100],
            size_bytes=len(part.data),
            sha256=digest or digest_of(part.data),
        )
        if part.content_type in IMAGE_TYPES:
            attachment_id = f"mail-{inbound.id}-{index}"
            try:
                with session.begin_nested():
                    conversation.upload(
                        session,
                        store,
                        actor=actor,
                        ticket_id=ticket.id,
                        attachment_id=attachment_id,
                        data=part.data,
                        max_bytes=max_bytes,
                        max_pixels=max_pixels,
                        caption=part.filename or None,
                    )
                row.ticket_attachment_id = attachment_id
                images.append(attachment_id)
            except DomainError:
                pass  # not an image we accept (too big, not really an image): kept as a file only
        session.add(row)
    session.flush()
    return images


def _is_ours(address: str, support_address: str) -> bool:
    local, _, domain = address.partition("@")
    our_local, _, our_domain = support_address.lower().partition("@")
    return domain == our_domain and local.partition("+")[0] == our_local


def _customer_actor(ticket: Ticket) -> Actor:
    return Actor(role=Role.CUSTOMER, customer_id=ticket.customer_id)


def take(
    session: Session,
    store: BlobStore,
    *,
    inbound: InboundMail,
    secret: str,
    support_address: str,
    phone_region: str = "GB",
    max_bytes: int = 8 * 1024 * 1024,
    max_pixels: int = 40_000_000,
) -> Intake:
    """Put one stored raw message where it belongs (the caller commits); never answers a machine."""
    parsed = parsing.parse(inbound.raw)
    inbound.message_id = parsed.message_id
    inbound.from_address = parsed.from_address[:254]
    inbound.subject = parsed.subject[:300]
    if parsed.automatic is not None:
        return Intake(InboundOutcome.AUTOMATIC, parsed.automatic)
    if _is_ours(parsed.from_address, support_address):
        return Intake(InboundOutcome.AUTOMATIC, "sent by ourselves (mail loop)")
    if not parsed.from_address:
        return Intake(InboundOutcome.FAILED, "no sender address")
    if session.scalar(
        select(User.id).where(func.lower(User.email) == parsed.from_address, User.role.in_(list(STAFF)))
    ):
        # An agent answering one of our notifications by email would otherwise speak as the customer.
        return Intake(InboundOutcome.FAILED, "sent from a staff address: staff answer on the desk")
    if parsed.message_id and session.scalar(
        select(TicketMessage.id).where(TicketMessage.external_id == parsed.message_id)
    ):
        return Intake(InboundOutcome.DUPLICATE, "this Message-ID is on a ticket already")
    external_id = parsed.message_id or None
    full = parsed.text or parsed.subject or "(no text)"
    body = parsing.visible_part(full)[: tickets.MAX_BODY]
    ticket, how = _thread(session, parsed, secret)
    if ticket is not None:
        ticket = _follow_merges(session, ticket)
    if ticket is not None and ticket.status is not TicketStatus.CLOSED:
        actor = _customer_actor(ticket)
        session.flush()
        images = _store_files(
            session,
            store,
            inbound=inbound,
            parsed=parsed,
            actor=actor,
            ticket=ticket,
            max_bytes=max_bytes,
            max_pixels=max_pixels,
        )
        message = conversation.add_message(
            session,
            actor=actor,
            ticket_id=ticket.id,
            kind=MessageKind.PUBLIC_REPLY,
            body=body,
            channel=TicketChannel.EMAIL,
            external_id=external_id,
            contact_id=_contact_of(session, parsed.from_address, ticket.customer_id),
            attachment_ids=images,
        )
        return Intake(InboundOutcome.REPLY, how, ticket.id, message.id)
    extra = {"via": "email"}
    if ticket is not None:
        extra["follows"] = ticket.number  # a reply to a closed ticket opens a new one that says so
    new = tickets.NewTicket(
        kind=TicketKind.INQUIRY,
        subject=parsing.clean_subject(parsed.subject)[: tickets.MAX_SUBJECT] or full[:80],
        body=body,
        channel=TicketChannel.EMAIL,
        sender=Sender(email=parsed.from_address, name=parsed.from_name or None),
        external_id=external_id,
        extra=extra,
    )
    created = tickets.create(session, actor=SYSTEM, new=new, phone_region=phone_region)
    first = session.scalar(
        select(TicketMessage).where(TicketMessage.ticket_id == created.id).order_by(TicketMessage.id).limit(1)
    )
    images = _store_files(
        session,
        store,
        inbound=inbound,
        parsed=parsed,
        actor=SYSTEM,
        ticket=created,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
    )
    if first is not None and images:
        for link in session.scalars(
            select(TicketAttachment).where(TicketAttachment.attachment_id.in_(images))
        ):
            link.message_id = first.id
        session.flush()
    reason = "reply to closed ticket " + ticket.number if ticket is not None else "new conversation"
    return Intake(InboundOutcome.NEW_TICKET, reason, created.id, first.id if first else None)


def original(session: Session, *, inbound_id: int) -> parsing.Parsed | None:
    """The message parsed again from its raw bytes (the full text, quotes and all)."""
    inbound = session.get(InboundMail, inbound_id)
    return parsing.parse(inbound.raw) if inbound is not None else None
