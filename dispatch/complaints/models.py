"""Complaints: the record a complaint ticket carries (grade, who is responsible, the root cause, the
customer's wish, the resolution, compensation, the follow-up call, the corrective action) and the
root-cause tree an admin edits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps, enum_type
from dispatch.tickets.models import Ticket


class Grade(StrEnum):
    """How serious the complaint is."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Responsible(StrEnum):
    """Who the complaint is attributed to."""

    DEPARTMENT = "department"
    """A desk team (department) of ours."""
    ENGINEER = "engineer"
    """A field engineer."""
    PARTNER = "partner"
    """A named partner (a subcontractor, a supplier, a carrier)."""


class FollowUpOutcome(StrEnum):
    """What the follow-up call found."""

    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"
    NOT_REACHED = "not_reached"


class RepeatBy(StrEnum):
    """What a repeat complaint has in common with the earlier one (besides the root cause)."""

    CUSTOMER = "customer"
    ENGINEER = "engineer"


class RootCause(Timestamps, Base):
    """A node of the root-cause tree (``Engineer > Late arrival``)."""

    __tablename__ = "complaint_causes"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_complaint_causes_parent_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_causes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Complaint(Timestamps, Base):
    """The complaint record of a ticket of kind ``complaint`` (one per ticket)."""

    __tablename__ = "complaints"
    __table_args__ = (
        # Repeat detection: earlier complaints of the same cause for a customer or an engineer.
        Index("ix_complaints_cause_id_customer_id_created_at", "cause_id", "customer_id", "created_at"),
        Index(
            "ix_complaints_cause_id_responsible_engineer_id_created_at",
            "cause_id",
            "responsible_engineer_id",
            "created_at",
        ),
        CheckConstraint("compensation_minor >= 0", name="compensation_not_negative"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    """The ticket's customer, kept here for the repeat search."""
    grade: Mapped[Grade] = mapped_column(enum_type(Grade, "complaint_grade"), default=Grade.MINOR)
    responsible: Mapped[Responsible | None] = mapped_column(enum_type(Responsible, "complaint_responsible"))
    responsible_team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id"))
    responsible_engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    responsible_partner: Mapped[str | None] = mapped_column(String(200))
    cause_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_causes.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    """The visit the complaint is about (one of the ticket's orders)."""
    customer_wish: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    compensation_minor: Mapped[int] = mapped_column(default=0)
    """Money given back, in integer minor units (pence, fen)."""
    compensation_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who granted the compensation (their role's limit applied)."""
    follow_up_at: Mapped[datetime | None]
    follow_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    follow_up_outcome: Mapped[FollowUpOutcome | None] = mapped_column(
        enum_type(FollowUpOutcome, "complaint_follow_up_outcome")
    )
    follow_up_notes: Mapped[str] = mapped_column(Text, default="")
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    repeat_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.ticket_id", ondelete="SET NULL"), index=True
    )
    """The earlier complaint of the same cause this one repeats (flagged), if any."""
    repeat_by: Mapped[RepeatBy | None] = mapped_column(enum_type(RepeatBy, "complaint_repeat_by"))
    version: Mapped[int] = mapped_column(default=1)

    ticket: Mapped[Ticket] = relationship(lazy="joined", innerjoin=True)
    cause: Mapped[RootCause | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
