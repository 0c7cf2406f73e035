"""Desk teams and their members, agents (capacity, presence, working hours, skills) and routing rules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, JSONType, Timestamps, enum_type


class DeskTier(StrEnum):
    """Where a team sits in the escalation ladder, or who it is."""

    FIRST_LINE = "first_line"
    SECOND_LINE = "second_line"
    ENGINEERING = "engineering"
    PARTNER = "partner"
    BRANCH = "branch"


class AssignmentStrategy(StrEnum):
    """How a team hands its tickets to its agents."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    SKILLS = "skills"
    MANUAL = "manual"


class DeskTeam(Timestamps, Base):
    """A team of agents that owns tickets (first line, second line, engineering, a partner, a branch)."""

    __tablename__ = "desk_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[DeskTier] = mapped_column(enum_type(DeskTier, "desk_tier"), default=DeskTier.FIRST_LINE)
    strategy: Mapped[AssignmentStrategy] = mapped_column(
        enum_type(AssignmentStrategy, "desk_assignment_strategy"), default=AssignmentStrategy.ROUND_ROBIN
    )
    escalates_to_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id"))
    """The next tier: where an escalation sends the team's tickets."""
    last_assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The round-robin pointer: the agent who got the team's last ticket."""
    active: Mapped[bool] = mapped_column(default=True)

    members: Mapped[list[DeskTeamMember]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        order_by="DeskTeamMember.user_id",
        lazy="selectin",
    )

    @property
    def lead_ids(self) -> list[int]:
        """The team leads (who get its escalations)."""
        return [m.user_id for m in self.members if m.is_lead]


class DeskTeamMember(Base):
    """An agent's membership of a team; a lead gets the team's escalations."""

    __tablename__ = "desk_team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("desk_teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_lead: Mapped[bool] = mapped_column(default=False)

    team: Mapped[DeskTeam] = relationship(back_populates="members")


class DeskAgent(Timestamps, Base):
    """What assignment needs to know about a staff user: capacity, presence, hours and skills."""

    __tablename__ = "desk_agents"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    capacity: Mapped[int] = mapped_column(default=10)
    """At most this many open tickets assigned at once."""
    away: Mapped[bool] = mapped_column(default=False)
    away_since: Mapped[datetime | None]
    time_zone: Mapped[str] = mapped_column(String(64))
    working_hours: Mapped[dict[str, Any] | None]
    """Weekly intervals in ``time_zone`` (see :mod:`dispatch.routing.hours`); None: on shift at all hours."""
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)

    @property
    def id(self) -> int:
        """The agent's user id (the event log names entities by ``id``)."""
        return self.user_id


class RoutingRule(Timestamps, Base):
    """If a new ticket meets the condition, apply the actions; rules are tried by position, first match wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    condition: Mapped[dict[str, Any]]
    """A small JSON tree (see :mod:`dispatch.routing.conditions`)."""
    actions: Mapped[dict[str, Any]]
    """What a match sets: team_id, priority, category_id, sla_policy_id, tags."""
    active: Mapped[bool] = mapped_column(default=True)
