"""Skills and service types."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps


class Skill(Base):
    """A qualification an engineer holds and a job may require (gas safe, electrical...)."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))


service_type_skills = Table(
    "service_type_skills",
    Base.metadata,
    Column("service_type_id", ForeignKey("service_types.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="RESTRICT"), primary_key=True),
)


class ServiceType(Timestamps, Base):
    """A kind of job: its usual duration, the skills it needs and the evidence it needs."""

    __tablename__ = "service_types"
    __table_args__ = (
        CheckConstraint("default_duration_s > 0", name="positive_duration"),
        CheckConstraint("min_photos >= 0", name="min_photos_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    default_duration_s: Mapped[int]
    photos_required: Mapped[bool] = mapped_column(default=False)
    signature_required: Mapped[bool] = mapped_column(default=False)
    min_photos: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)

    skills: Mapped[list[Skill]] = relationship(
        secondary=service_type_skills, order_by="Skill.code", lazy="selectin"
    )
