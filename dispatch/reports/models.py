"""Daily aggregate rows: what the report pages read instead of the ticket, visit and plan tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, JSONType, utcnow


class DailyAggregate(Base):
    """One measure of one day for one value of a dimension (a channel, a team, an engineer, or all).

    ``count`` and ``total`` mean what the figure says (tickets and seconds, clocks and clocks met,
    routes and metres...). ``samples`` holds the day's sorted values of a duration figure, so a
    median or p90 over any range is exact (daily medians cannot be averaged).
    """

    __tablename__ = "report_daily"
    __table_args__ = (
        UniqueConstraint(
            "figure", "day", "dimension", "key", name="uq_report_daily_figure_day_dimension_key"
        ),
        Index("ix_report_daily_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    """The local day (in the desk's time zone) the measure belongs to."""
    figure: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[str] = mapped_column(String(20))
    """What ``key`` is: ``all``, ``channel``, ``category``, ``team``, ``desk_team``, ``engineer``."""
    key: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    samples: Mapped[list[int] | None] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
