"""A satisfaction survey: one per completed visit or resolved ticket, answered once through its link."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, enum_type, utcnow


class SurveySubject(StrEnum):
    """What the customer is asked to rate."""

    VISIT = "visit"
    TICKET = "ticket"


def new_token() -> str:
    """An unguessable survey token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


class Survey(Base):
    """The question "how did we do?" about one visit or one ticket, and the customer's one answer.

    The link's token is the capability to answer (no login); it stops working once answered or
    when ``expires_at`` has passed. ``engineer_id`` is who did the visit, kept from completion so a
    later reassignment of the order does not move the rating to someone else.
    """

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_1_to_5"),
        CheckConstraint("(order_id IS NULL) <> (ticket_id IS NULL)", name="about_one_thing"),
        Index("ix_surveys_customer_id_id", "customer_id", "id"),
        Index("ix_surveys_engineer_id_answered_at", "engineer_id", "answered_at"),
        Index("ix_surveys_answered_at_id", "answered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[SurveySubject] = mapped_column(enum_type(SurveySubject, "survey_subject"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id", ondelete="SET NULL"))
    """The desk team that resolved the ticket (its lead reviews a low score)."""
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    review_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    """The ticket a low score opened for the team lead."""

    @property
    def answered(self) -> bool:
        """Whether the customer has given their one answer."""
        return self.answered_at is not None
