"""The conversation of a ticket: public replies and internal notes, with images from the attachment store.

Two figures the SLA clocks hook on are kept on the ticket and recomputed from the messages after each
one: ``first_response_at`` (the first public agent reply the customer can see; internal notes,
automatic mails and status changes do not count) and ``awaiting_message_id`` / ``awaiting_since``
(the oldest customer message no public agent reply has answered yet).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import Actor, Role
from dispatch.attachments import service as attachments
from dispatch.attachments.models import Attachment
from dispatch.attachments.storage import BlobStore
from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.tickets import service as tickets
from dispatch.tickets.models import (
    AuthorType,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)

MAX_ATTACHMENTS = 10


def recompute_marks(session: Session, ticket: Ticket) -> None:
    """Set the first response and the oldest unanswered customer message from the messages themselves."""
    rows = session.execute(
        select(
            TicketMessage.id,
            TicketMessage.author_type,
            TicketMessage.kind,
            TicketMessage.automatic,
            TicketMessage.created_at,
        )
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.created_at, TicketMessage.id)
    ).all()
    first = None
    awaiting: tuple[int, object] | None = None
    for message_id, author, kind, automatic, at in rows:
        if kind is not MessageKind.PUBLIC_REPLY:
            continue
        if author is AuthorType.AGENT and not automatic:
            first = first or at
            awaiting = None
        elif author is AuthorType.CUSTOMER and awaiting is None:
            awaiting = (message_id, at)
    ticket.first_response_at = first
    ticket.awaiting_message_id = awaiting[0] if awaiting else None
    ticket.awaiting_since = awaiting[1] if awaiting else None  # type: ignore[assignment]


def first_message(
    session: Session,
    *,
    actor: Actor,
    ticket: Ticket,
    body: str,
    contact_id: int | None,
    external_id: str | None = None,
    from_customer: bool = True,
) -> TicketMessage:
    """The words that opened the ticket: the customer's (typed by them, or taken down by an agent on the
    phone: a public message the desk owes an answer to), or a report from our side (an engineer's, or
    the system's for an unfinished visit: an internal note)."""
    if from_customer:
        kind, author = MessageKind.PUBLIC_REPLY, AuthorType.CUSTOMER
        author_user_id = actor.user_id if actor.role is Role.CUSTOMER else None
    else:
        kind = MessageKind.INTERNAL_NOTE
        author = AuthorType.AGENT if actor.user_id is not None else AuthorType.SYSTEM
        author_user_id = actor.user_id
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=kind,
        author_type=author,
        author_user_id=author_user_id,
        contact_id=contact_id,
        channel=ticket.channel,
        body=body,
        external_id=external_id,
    )
    session.add(message)
    session.flush()
    recompute_marks(session, ticket)
    session.flush()
    return message


def _attach(session: Session, *, ticket: Ticket, message: TicketMessage, ids: Sequence[str]) -> None:
    if len(ids) > MAX_ATTACHMENTS:
        raise Invalid(
            _("at most 10 images per message"), errors={"attachment_ids": [f"at most {MAX_ATTACHMENTS}"]}
        )
    for attachment_id in dict.fromkeys(ids):
        link = session.get(TicketAttachment, attachment_id)
        if link is None or link.ticket_id != ticket.id:
            raise Invalid(
                _("image %(id)s was not uploaded to this ticket", id=attachment_id),
                errors={"attachment_ids": [f"{attachment_id} is not an upload of ticket {ticket.number}"]},
            )
        if link.message_id is not None and link.message_id != message.id:
            raise Conflict(
                _("image %(id)s already belongs to another message", id=attachment_id),
                errors={"attachment_ids": [f"{attachment_id} is already sent"]},
            )
        link.message_id = message.id
        link.message = message


def add_message(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    kind: MessageKind,
    body: str,
    expected_version: int | None = None,
    attachment_ids: Sequence[str] = (),
    channel: TicketChannel | None = None,
    automatic: bool = False,
    external_id: str | None = None,
    contact_id: int | None = None,
) -> TicketMessage:
    """Add a public reply or an internal note; a customer's reply reopens a resolved ticket.

    Customers write public replies on their own tickets (a closed ticket takes no more: open a new
    one); staff write both. An agent's public reply on a new or reopened ticket opens it, and the
    customer's reply to a ticket pending on them brings it back to open.
    """
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    if actor.role is Role.ENGINEER:
        raise Forbidden(_("engineers read the tickets of their jobs; the desk answers them"))
    if actor.role is Role.CUSTOMER and kind is not MessageKind.PUBLIC_REPLY:
        raise Forbidden(_("customers write replies; internal notes are for staff"))
    tickets.check_version(ticket, expected_version)
    text = (body or "").strip()
    if not text or len(text) > tickets.MAX_BODY:
        raise Invalid(
            _("write a message of 1 to 20,000 characters"), errors={"body": ["1 to 20000 characters"]}
        )
    if ticket.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: open a new ticket and mention this one", number=ticket.number),
            errors={"current_status": ticket.status.value},
        )
    if external_id is not None and session.scalar(
        select(TicketMessage.id).where(TicketMessage.external_id == external_id)
    ):
        raise Conflict(_("this message has been stored already"), errors={"external_id": ["already stored"]})
    author = AuthorType.CUSTOMER if actor.role is Role.CUSTOMER else AuthorType.AGENT
    if automatic:
        author = AuthorType.SYSTEM
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=kind,
        author_type=author,
        author_user_id=actor.user_id,
        contact_id=contact_id,
        channel=channel or (TicketChannel.PORTAL if author is AuthorType.CUSTOMER else TicketChannel.API),
        body=text,
        automatic=automatic,
        external_id=external_id,
    )
    session.add(message)
    session.flush()
    _attach(session, ticket=ticket, message=message, ids=attachment_ids)
    public = kind is MessageKind.PUBLIC_REPLY
    was_answered = ticket.first_response_at is not None
    with tickets.recording(session, actor=actor, ticket=ticket, action="message_added") as payload:
        recompute_marks(session, ticket)
        payload.update(
            {
                "message_id": message.id,
                "kind": kind.value,
                "author_type": author.value,
                "attachment_ids": list(attachment_ids),
                "first_response": public
                and author is AuthorType.AGENT
                and not was_answered
                and not automatic,
            }
        )
    if author is AuthorType.CUSTOMER:
        if ticket.status is TicketStatus.RESOLVED:
            tickets.set_status(session, actor=actor, ticket=ticket, action="reopen", via="customer_reply")
        elif ticket.status is TicketStatus.PENDING:
            tickets.set_status(session, actor=actor, ticket=ticket, action="open", via="customer_reply")
    elif public and not automatic and ticket.status in (TicketStatus.NEW, TicketStatus.REOPENED):
        tickets.set_status(session, actor=actor, ticket=ticket, action="open", via="agent_reply")
    return message


def messages_of(session: Session, *, actor: Actor, ticket_id: int) -> list[TicketMessage]:
    """The conversation, oldest first: customers see the public replies, staff and engineers everything."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    stmt = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
    if actor.role is Role.CUSTOMER:
        stmt = stmt.where(TicketMessage.kind == MessageKind.PUBLIC_REPLY)
    return list(session.scalars(stmt))


def upload(
    session: Session,
    store: BlobStore,
    *,
    actor: Actor,
    ticket_id: int,
    attachment_id: str,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    caption: str | None = None,
) -> tuple[Attachment, bool]:
    """Store an image for the ticket under the device's id; a message then names it to send it."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    if actor.role is Role.ENGINEER:
        raise Forbidden(_("engineers read the tickets of their jobs; the desk answers them"))
    if ticket.status is TicketStatus.CLOSED:
        raise Conflict(
            _("ticket %(number)s is closed: open a new ticket and mention this one", number=ticket.number),
            errors={"current_status": ticket.status.value},
        )
    link = session.get(TicketAttachment, attachment_id)
    if link is not None and link.ticket_id != ticket.id:
        raise Conflict(
            _(
                "attachment %(id)s already exists with other content: make a new id for a new image",
                id=attachment_id,
            ),
            errors={"attachment_id": ["already used"]},
        )
    attachment, created = attachments.upload_unlinked(
        session,
        store,
        actor=actor,
        attachment_id=attachment_id,
        data=data,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        caption=caption,
    )
    if link is None:
        session.add(TicketAttachment(attachment_id=attachment.id, ticket_id=ticket.id))
        session.flush()
        events.record(
            session,
            actor=actor,
            entity_type="ticket",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            action="attachment_added",
            payload={"attachment_id": attachment.id},
        )
    return attachment, created


def attachments_of(session: Session, *, actor: Actor, ticket_id: int) -> list[Attachment]:
    """The ticket's images, oldest first; customers see those sent with public replies and their own."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    stmt = (
        select(Attachment)
        .join(TicketAttachment, TicketAttachment.attachment_id == Attachment.id)
        .outerjoin(TicketMessage, TicketMessage.id == TicketAttachment.message_id)
        .where(TicketAttachment.ticket_id == ticket.id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    if actor.role is Role.CUSTOMER:
        stmt = stmt.where(
            (TicketMessage.kind == MessageKind.PUBLIC_REPLY)
            | (Attachment.uploaded_by == (actor.user_id or 0))
        )
    return list(session.scalars(stmt))


def attachment_of(session: Session, *, actor: Actor, ticket_id: int, attachment_id: str) -> Attachment:
    """One of the ticket's images the actor may see, or :class:`NotFound`."""
    for attachment in attachments_of(session, actor=actor, ticket_id=ticket_id):
        if attachment.id == attachment_id:
            return attachment
    raise NotFound(_("attachment %(id)s not found", id=attachment_id))


def attach_images(
    session: Session, *, actor: Actor, ticket_id: int, message_id: int, attachment_ids: Sequence[str]
) -> None:
    """Send images already uploaded to the ticket with one of its messages (e.g. a photo with the first)."""
    ticket = tickets.get_or_raise(session, actor=actor, ticket_id=ticket_id)
    message = session.get(TicketMessage, message_id)
    if message is None or message.ticket_id != ticket.id:
        raise NotFound(_("message %(id)s is not on this ticket", id=message_id))
    _attach(session, ticket=ticket, message=message, ids=attachment_ids)
