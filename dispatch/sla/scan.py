"""The warning and breach scan: running clocks whose warning or due time has come, read from the
partial indexes on ``warn_at`` / ``due_at`` (never a scan of all tickets), each marked once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dispatch.sla import escalation
from dispatch.sla.models import SlaClock


@dataclass(frozen=True)
class ScanResult:
    """How many breaches and warnings one pass raised."""

    breaches: int = 0
    warnings: int = 0

    @property
    def total(self) -> int:
        """Both together."""
        return self.breaches + self.warnings


def breach_candidates(now: datetime, limit: int) -> Select[Any]:
    """Running clocks not yet marked breached whose due time has passed, earliest first."""
    return (
        select(SlaClock)
        .where(SlaClock.stopped_at.is_(None), SlaClock.breached_at.is_(None), SlaClock.due_at <= now)
        .order_by(SlaClock.due_at)
        .limit(limit)
    )


def warning_candidates(now: datetime, limit: int) -> Select[Any]:
    """Running clocks neither warned about nor breached whose warning time has passed, earliest first."""
    return (
        select(SlaClock)
        .where(
            SlaClock.stopped_at.is_(None),
            SlaClock.warned_at.is_(None),
            SlaClock.breached_at.is_(None),
            SlaClock.warn_at <= now,
        )
        .order_by(SlaClock.warn_at)
        .limit(limit)
    )


def _locked(session: Session, stmt: Select[Any]) -> list[SlaClock]:
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two scanners never mark one clock twice
    return list(session.scalars(stmt))


def run(session: Session, *, now: datetime, limit: int = 200) -> ScanResult:
    """One pass: breaches first (a clock past its due time gets no late warning), then warnings."""
    breaches = _locked(session, breach_candidates(now, limit))
    for clock in breaches:
        escalation.raise_stage(session, clock=clock, stage="breach", now=now)
    warnings = [c for c in _locked(session, warning_candidates(now, limit)) if c.breached_at is None]
    for clock in warnings:
        escalation.raise_stage(session, clock=clock, stage="warning", now=now)
    session.flush()
    return ScanResult(len(breaches), len(warnings))
