"""What mail fetching keeps: where it got to in each mailbox, every message as it came, its attachments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, enum_type, utcnow


class MailboxState(Base):
    """The last UID taken from an IMAP mailbox, valid while its UIDVALIDITY stays the same."""

    __tablename__ = "mailbox_states"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    """Messages taken from this mailbox so far."""
    last_run_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class InboundOutcome(StrEnum):
    """What became of a message that came in."""

    NEW_TICKET = "new_ticket"
    REPLY = "reply"
    AUTOMATIC = "automatic"
    """An auto-reply, a bounce or a bulk mailing: kept, never answered, no ticket."""
    DUPLICATE = "duplicate"
    FAILED = "failed"
    """It could not be stored on a ticket (the reason says why); the raw message is kept."""


class InboundMail(Base):
    """One message fetched by IMAP, raw as it came (parsing can be redone), and where it went."""

    __tablename__ = "inbound_mails"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbound_mails_mailbox_uidvalidity_uid"),
        Index("ix_inbound_mails_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[InboundOutcome] = mapped_column(enum_type(InboundOutcome, "inbound_outcome"))
    reason: Mapped[str] = mapped_column(Text, default="")
    """How it was threaded (``reply address``, ``message id``, ``subject tag``...) or why it was not."""
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    ticket_message_id: Mapped[int | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InboundAttachment(Base):
    """A file that came with an email: its bytes are in the attachment store under their SHA-256."""

    __tablename__ = "inbound_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_mail_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_mails.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    ticket_attachment_id: Mapped[str | None] = mapped_column(String(64))
    """The ticket image it became (images only: the conversation shows those)."""
