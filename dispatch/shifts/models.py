"""An engineer's working day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps
from dispatch.engineers.models import Engineer


class Shift(Timestamps, Base):
    """One engineer's hours on one day, with a break to take inside a window."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("engineer_id", "day"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("break_duration_s >= 0", name="break_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    break_earliest: Mapped[datetime | None]
    break_latest: Mapped[datetime | None]
    break_duration_s: Mapped[int] = mapped_column(default=0)

    engineer: Mapped[Engineer] = relationship(lazy="joined")
