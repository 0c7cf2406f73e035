"""Business calendars and their dated overrides (holidays, make-up working days)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, JSONType, Timestamps


class BusinessCalendar(Timestamps, Base):
    """Working hours per weekday in a time zone; SLA policies count their targets in it."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    week: Mapped[dict[str, Any]]
    """``{"mon": [["08:30", "12:00"], ["13:00", "18:00"]], ...}``; a day missing or empty is closed."""
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    """Moves with every change, its days included (the ETag; cached arithmetic is keyed on it)."""

    days: Mapped[list[CalendarDay]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="CalendarDay.day", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class CalendarDay(Base):
    """A dated override: a holiday (no intervals) or a day with other hours (a make-up working day)."""

    __tablename__ = "business_calendar_days"

    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("business_calendars.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    intervals: Mapped[list[list[str]]] = mapped_column(JSONType, default=list)
    """Working intervals of that day; empty: closed."""
    source: Mapped[str] = mapped_column(String(40), default="manual")
    """``manual`` (an admin's), or the library that seeded it (``holidays:GB-ENG``, ``chinese_calendar``)."""

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="days")
