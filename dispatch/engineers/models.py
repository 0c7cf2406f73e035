"""Teams and engineers."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.catalog.models import Skill
from dispatch.db import Base, Timestamps


class Team(Timestamps, Base):
    """A group of engineers covering a region; orders can be transferred to a team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64))


engineer_skills = Table(
    "engineer_skills",
    Base.metadata,
    Column("engineer_id", ForeignKey("engineers.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="RESTRICT"), primary_key=True),
)


class Engineer(Timestamps, Base):
    """A field engineer: skills, a home base the day starts and ends at, a team."""

    __tablename__ = "engineers"
    __table_args__ = (
        CheckConstraint("home_latitude BETWEEN -90 AND 90", name="home_latitude_range"),
        CheckConstraint("home_longitude BETWEEN -180 AND 180", name="home_longitude_range"),
        CheckConstraint("max_work_s IS NULL OR max_work_s > 0", name="positive_max_work"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    home_address: Mapped[str] = mapped_column(String(500), default="")
    home_latitude: Mapped[float]
    home_longitude: Mapped[float]
    max_work_s: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    team: Mapped[Team | None] = relationship(lazy="joined")
    skills: Mapped[list[Skill]] = relationship(
        secondary=engineer_skills, order_by="Skill.code", lazy="selectin"
    )
