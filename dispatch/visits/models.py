"""Notes and parts an engineer records on a job (append-only, named by the device's id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, utcnow


class VisitNote(Base):
    """A note on a job, with the parts used (``[{"name", "quantity", "part_number"}]``)."""

    __tablename__ = "visit_notes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
