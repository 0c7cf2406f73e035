"""Photos and signatures attached to an order, and images sent with tickets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, enum_type, utcnow


class AttachmentKind(StrEnum):
    """What the image shows."""

    PHOTO = "photo"
    SIGNATURE = "signature"


class Attachment(Base):
    """An image taken on a job, named by the id the device made for it (append-only)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_order_id_kind", "order_id", "kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    """The job the image was taken on; None for an image sent with a ticket (see ``ticket_attachments``)."""
    kind: Mapped[AttachmentKind] = mapped_column(enum_type(AttachmentKind, "attachment_kind"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    signer_name: Mapped[str | None] = mapped_column(String(200))
    caption: Mapped[str | None] = mapped_column(String(500))
    taken_at: Mapped[datetime | None]
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
