"""Plans: one optimizer run for a day (and a team or region), its routes and what it left out."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps, enum_type
from dispatch.engineers.models import Engineer
from dispatch.orders.models import Order
from dispatch.planning import wording


class PlanStatus(StrEnum):
    """Where a plan is: waiting for a worker, solving, ready to publish, or over."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PlanKind(StrEnum):
    """A full plan of the day, or a re-plan that starts from what is published and under way."""

    FULL = "full"
    REPLAN = "replan"


ACTIVE = frozenset({PlanStatus.QUEUED, PlanStatus.RUNNING})


class Plan(Timestamps, Base):
    """One optimizer run; its routes are written all at once when it finishes."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("time_limit_s > 0", name="positive_time_limit"),
        Index("ix_plans_day_status", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    region: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PlanKind] = mapped_column(enum_type(PlanKind, "plan_kind"), default=PlanKind.FULL)
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "plan_status"), default=PlanStatus.QUEUED
    )
    time_limit_s: Mapped[int]
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[str] = mapped_column(String(100), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    best_distance_m: Mapped[int | None]
    """Metres driven by the best plan known so far (progress while running)."""
    best_assigned: Mapped[int | None]
    """Orders placed by that plan."""
    computed_at: Mapped[datetime | None]
    """When the orders were read: changes after this make publishing refuse them."""
    basis: Mapped[dict[str, Any] | None]
    """Order id -> version the plan was computed from."""
    totals: Mapped[dict[str, Any] | None]
    solver: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    routes: Mapped[list[PlanRoute]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanRoute.id", lazy="selectin"
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        cascade="all, delete-orphan", order_by="PlanUnassigned.id", lazy="selectin"
    )


class PlanRoute(Base):
    """One engineer's day in a plan."""

    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id"))
    departs_at: Mapped[datetime]
    returns_at: Mapped[datetime]
    travel_distance_m: Mapped[int]
    travel_time_s: Mapped[int]
    breaks: Mapped[dict[str, Any] | None]
    """``{"breaks": [[start, end], ...]}`` as ISO 8601 instants."""

    plan: Mapped[Plan] = relationship(back_populates="routes")
    engineer: Mapped[Engineer] = relationship(lazy="joined")
    stops: Mapped[list[PlanStop]] = relationship(
        cascade="all, delete-orphan", order_by="PlanStop.sequence", lazy="selectin"
    )


class PlanStop(Base):
    """One visit on a planned route, timed; ``previous_*`` is where the published day had it."""

    __tablename__ = "plan_stops"
    __table_args__ = (CheckConstraint("sequence >= 0", name="sequence_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("plan_routes.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sequence: Mapped[int]
    arrives_at: Mapped[datetime]
    starts_at: Mapped[datetime]
    departs_at: Mapped[datetime]
    travel_time_s: Mapped[int]
    travel_distance_m: Mapped[int]
    why: Mapped[str] = mapped_column(Text, default="")
    """The optimizer's explanation in English as planned (logs, rows from before ``why_notes``)."""
    why_notes: Mapped[dict[str, Any] | None]
    """The same explanation as codes and values, worded for each reader (see ``planning.wording``)."""
    fixed: Mapped[bool] = mapped_column(default=False)
    previous_engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))
    previous_start: Mapped[datetime | None]

    order: Mapped[Order] = relationship(lazy="joined")

    @property
    def why_text(self) -> object:
        """Why this visit sits here, in the reader's language."""
        return wording.shown(self.why_notes, self.why)


class PlanUnassigned(Base):
    """An order the plan leaves out, and why."""

    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    """Why it was left out, in English as planned (logs, rows from before ``detail_note``)."""
    detail_note: Mapped[dict[str, Any] | None]
    """The same as codes and values, worded for each reader (see ``planning.wording``)."""
    previous_engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"))

    order: Mapped[Order] = relationship(lazy="joined")

    @property
    def detail_text(self) -> object:
        """Why it was left out, in the reader's language."""
        return wording.shown(self.detail_note, self.detail)
