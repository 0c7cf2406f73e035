"""The quality rubric and the reviews of sampled tickets."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, JSONType, Timestamps, enum_type
from dispatch.tickets.models import Ticket
from dispatch.users.models import User


class SampleSource(StrEnum):
    """Why a ticket was picked for review."""

    RANDOM = "random"
    """Drawn at random among the agent's closed tickets of the week."""
    LOW_SCORE = "low_score"
    """The customer gave it a low satisfaction score (see :mod:`dispatch.quality.sources`)."""


class ReviewStatus(StrEnum):
    """A review waits to be scored, then holds its score."""

    TO_SCORE = "to_score"
    SCORED = "scored"


class RubricItem(Timestamps, Base):
    """One thing a reviewer checks, with its weight; a failed critical item makes the score 0."""

    __tablename__ = "quality_rubric_items"
    __table_args__ = (CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)
    critical: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class QualityReview(Timestamps, Base):
    """A closed ticket picked for review, the agent it judges and, once scored, the result."""

    __tablename__ = "quality_reviews"
    __table_args__ = (
        Index("ix_quality_reviews_agent_id_week", "agent_id", "week"),
        Index("ix_quality_reviews_status_id", "status", "id"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The agent whose work is reviewed (the ticket's assignee when it closed, else its owner)."""
    week: Mapped[date]
    """The Monday of the week the ticket closed in."""
    source: Mapped[SampleSource] = mapped_column(enum_type(SampleSource, "quality_sample_source"))
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, "quality_review_status"), default=ReviewStatus.TO_SCORE
    )
    sampled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int | None]
    """0 to 100: the weight of the passed items over the weight of all, 0 when a critical item failed."""
    critical_failed: Mapped[bool] = mapped_column(default=False)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """Each item as it was when scored: item_id, name, weight, critical, passed, note."""
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(lazy="joined", innerjoin=True)
    agent: Mapped[User] = relationship(foreign_keys=[agent_id], lazy="joined", innerjoin=True)
