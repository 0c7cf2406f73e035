"""SLA policies and the clocks of tickets: one row per clock, a cache of the event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, JSONType, Timestamps, enum_type


class ClockKind(StrEnum):
    """What a clock times."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"
    OLA = "ola"
    """A team's own clock: from when it receives the ticket until it hands it on."""


class SlaPolicy(Timestamps, Base):
    """Targets in business time, for the tickets whose condition holds (tried by position)."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    condition: Mapped[dict[str, Any]]
    """A routing-style condition tree over tier, priority, kind, channel (``{"all": []}``: every ticket)."""
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"), index=True)
    first_response_s: Mapped[int | None]
    next_response_s: Mapped[int | None]
    resolution_s: Mapped[int | None]
    ola_targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``[{"team_id": 3, "target_s": 14400}]``: each team's own clock, while it has the ticket."""
    pause_on_hold: Mapped[bool] = mapped_column(default=False)
    """Whether the clocks also stop while the ticket is on hold (they always do while pending)."""
    warn_percent: Mapped[int] = mapped_column(default=80)
    """The share of a target after which the about-to-breach warning is raised."""
    escalations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``[{"on": "warning"|"breach", "clock": "any"|<kind>, "action": "notify_lead"|"raise_priority"|
    "move_to_team", "team_id": ...}]``, run by the scan."""
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_catch_all(self) -> bool:
        """Whether the policy has no condition (it matches every ticket, so it must come last)."""
        return self.condition in ({}, {"all": []})


_RUNNING = text("stopped_at IS NULL")


class SlaClock(Base):
    """One clock of a ticket: what it times, against which target, since when, and how it stands.

    ``due_at`` is when the target is used up (business time of ``calendar_id``, pauses added back);
    it is empty while the clock is paused. ``paused_s`` is the business time of finished pauses
    (waiting on the customer, on hold if the policy says so, resolved until reopened). Rows are
    rebuilt from the ticket's events by :func:`dispatch.sla.clocks.rebuild`.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "key", name="uq_sla_clocks_ticket_id_key"),
        # The breach scan: running clocks not yet breached, by due time.
        Index(
            "ix_sla_clocks_breach_due",
            "due_at",
            postgresql_where=text("stopped_at IS NULL AND breached_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL AND breached_at IS NULL"),
        ),
        # The warning scan: running clocks not yet warned about, by warning time.
        Index(
            "ix_sla_clocks_warn_due",
            "warn_at",
            postgresql_where=text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL AND warned_at IS NULL AND breached_at IS NULL"),
        ),
        # The about-to-breach queue: every running clock by due time (breached ones first).
        Index(
            "ix_sla_clocks_running_due",
            "due_at",
            "id",
            postgresql_where=text("stopped_at IS NULL AND due_at IS NOT NULL"),
            sqlite_where=text("stopped_at IS NULL AND due_at IS NOT NULL"),
        ),
        Index(
            "ix_sla_clocks_running_calendar",
            "calendar_id",
            postgresql_where=_RUNNING,
            sqlite_where=_RUNNING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    """Which clock of the ticket: ``resolution``, ``first_response``, ``next_response:<message>``,
    ``ola:<team>:<event>`` (stable across rebuilds)."""
    kind: Mapped[ClockKind] = mapped_column(enum_type(ClockKind, "sla_clock_kind"))
    policy_id: Mapped[int]
    """The policy whose target this is (kept when the policy is later deleted: no foreign key)."""
    team_id: Mapped[int | None]
    """The team of an OLA clock."""
    calendar_id: Mapped[int]
    target_s: Mapped[int]
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    paused_s: Mapped[int] = mapped_column(default=0)
    paused_since: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    """The due time the clock ran past (set by the scan, or when it stopped late)."""
    warned_at: Mapped[datetime | None]
    """When the about-to-breach warning was raised (once)."""

    @property
    def state(self) -> str:
        """running, paused or stopped."""
        if self.stopped_at is not None:
            return "stopped"
        return "paused" if self.paused_since is not None else "running"
