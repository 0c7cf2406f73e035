"""The warning and breach scan: running clocks whose warning or due time has come, read from the
partial indexes on ``warn_at`` / ``due_at`` (never a scan of all tickets), each marked once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, lazyload

from dispatch.sla import escalation
from dispatch.sla.models import SlaClock, SlaPolicy
from dispatch.tickets.models import Ticket


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


def _raise(session: Session, found: list[SlaClock], stage: str, now: datetime) -> None:
    """Raise the stage on each clock, with their tickets and policies read in one query each."""
    ticket_ids = sorted({c.ticket_id for c in found})
    tickets = {
        t.id: t
        for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)).options(lazyload("*")))
    }
    policies = {
        p.id: p
        for p in session.scalars(select(SlaPolicy).where(SlaPolicy.id.in_({c.policy_id for c in found})))
    }
    for clock in found:
        escalation.raise_stage(
            session,
            clock=clock,
            stage=stage,
            now=now,
            ticket=tickets.get(clock.ticket_id),
            policy=policies.get(clock.policy_id),
        )


def run(session: Session, *, now: datetime, limit: int = 200) -> ScanResult:
    """One pass: breaches first (a clock past its due time gets no late warning), then warnings."""
    breaches = _locked(session, breach_candidates(now, limit))
    _raise(session, breaches, "breach", now)
    warnings = [c for c in _locked(session, warning_candidates(now, limit)) if c.breached_at is None]
    _raise(session, warnings, "warning", now)
    session.flush()
    return ScanResult(len(breaches), len(warnings))
