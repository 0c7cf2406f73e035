"""One row per engineer: where they last were, while on shift."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base


class EngineerPosition(Base):
    """The engineer's latest position sent from the app during their shift (overwritten, never a track)."""

    __tablename__ = "engineer_positions"

    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id", ondelete="CASCADE"), primary_key=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    accuracy_m: Mapped[float | None]
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]
