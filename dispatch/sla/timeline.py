"""The clocks of a ticket as a pure function of its event log (no database).

:func:`facts` reads what the clocks need from a ticket's events; :func:`derive` turns those facts,
the policy snapshot the last ``sla.policy_applied`` event carries and the policy's calendar into one
:class:`ClockRow` per clock. The live hooks and the rebuild command both go through here, so the
rows are always what the log says.

Rules (SERVICE_DESK.md, "Clocks, exactly"):

- **first response** runs from the ticket's opening to the first public reply by an agent
  (internal notes, automatic mails and status changes do not count);
- **next response** runs, once there was a first response, from the oldest customer message no
  public agent reply has answered yet, to that reply (one clock per such wait);
- **resolution** runs from the opening to ``resolved``; reopening resumes it, the resolved time
  counting as a pause; closing ends it for good;
- **OLA** clocks run per team from when the team receives the ticket until it hands it on (or it is
  resolved; reopening resumes the team's clock while it still has the ticket);
- every running clock **pauses** while the ticket is ``pending`` (waiting on the customer), and while
  it is ``on_hold`` if the policy says so; resolving ends first and next response clocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.calendars import business
from dispatch.events.models import Event
from dispatch.sla.models import ClockKind

DONE = frozenset({"resolved", "closed"})
APPLIED = "sla.policy_applied"
STAGES = {"sla.warning": "warned_at", "sla.breached": "breached_at"}


@dataclass(frozen=True)
class Fact:
    """What one ticket event means to the clocks."""

    event_id: int
    at: datetime
    action: str
    status: str | None = None
    team: tuple[int | None] | None = None
    """The team the ticket went to (a 1-tuple, so that "to no team" differs from "no change")."""
    author: str | None = None
    public: bool = False
    message_id: int | None = None
    policy: Mapping[str, Any] | None = None
    stage: tuple[str, str, datetime] | None = None
    """(column, clock key, instant) of a warning or breach the scan raised."""


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def facts(events: Iterable[Event]) -> list[Fact]:
    """The events of one ticket (oldest first) as facts, times floored to whole seconds and never going back."""
    found: list[Fact] = []
    last: datetime | None = None
    for ev in events:
        at = ev.at.replace(microsecond=0)
        if last is not None and at < last:
            at = last
        last = at
        after = ev.after or {}
        payload = ev.payload or {}
        status = after.get("status") if "status" in after else None
        team = (after.get("team_id"),) if "team_id" in after else None
        if ev.action == "created":
            status = status or "new"
            team = (after.get("team_id"),)
        fact = Fact(ev.id, at, ev.action, status=status, team=team)
        if ev.action == "message_added":
            fact = Fact(
                ev.id,
                at,
                ev.action,
                status=status,
                team=team,
                author=payload.get("author_type"),
                public=payload.get("kind") == "public_reply",
                message_id=payload.get("message_id"),
            )
        elif ev.action == APPLIED:
            fact = Fact(ev.id, at, ev.action, policy=payload)
        elif ev.action in STAGES and payload.get("clock"):
            column = STAGES[ev.action]
            fact = Fact(ev.id, at, ev.action, stage=(column, payload["clock"], _when(payload[column])))
        found.append(fact)
    return found


@dataclass
class ClockRow:
    """A clock as the log has it (the columns of :class:`~dispatch.sla.models.SlaClock`)."""

    key: str
    kind: ClockKind
    policy_id: int
    team_id: int | None
    calendar_id: int
    target_s: int
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    paused_s: int
    paused_since: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None = None
    warned_at: datetime | None = None

    def columns(self) -> dict[str, Any]:
        """The row's values by column name."""
        return dict(self.__dict__)


@dataclass
class _Clock:
    key: str
    kind: ClockKind
    target_s: int
    started_at: datetime
    team_id: int | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    paused_since: datetime | None = None
    stopped_at: datetime | None = None
    final: bool = False

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def pause(self, at: datetime) -> None:
        if self.running and self.paused_since is None:
            self.paused_since = at

    def unpause(self, at: datetime) -> None:
        if self.running and self.paused_since is not None:
            self.pauses.append((self.paused_since, at))
            self.paused_since = None

    def stop(self, at: datetime, *, final: bool) -> None:
        if self.running:
            self.unpause(at)
            self.stopped_at = at
        self.final = self.final or final

    def resume(self, at: datetime, *, paused: bool) -> None:
        if not self.running and not self.final:
            assert self.stopped_at is not None
            self.pauses.append((self.stopped_at, at))  # the stopped time does not count
            self.stopped_at = None
            if paused:
                self.paused_since = at


CalendarFor = Callable[[int], business.Calendar]


def policy_of(found: Iterable[Fact]) -> Mapping[str, Any] | None:
    """The snapshot of the policy last applied to the ticket (None: no policy, so no clocks)."""
    policy = None
    for fact in found:
        if fact.policy is not None:
            policy = fact.policy
    return policy if policy and policy.get("policy_id") is not None else None


def derive(found: list[Fact], calendar_for: CalendarFor) -> list[ClockRow]:
    """Every clock of the ticket, as its facts have it (see the module's rules)."""
    policy = policy_of(found)
    if policy is None:
        return []
    targets = policy.get("targets") or {}
    ola = {int(k): int(v) for k, v in (policy.get("ola") or {}).items()}
    pausing = {"pending"} | ({"on_hold"} if policy.get("pause_on_hold") else set())
    clocks: dict[str, _Clock] = {}
    status: str | None = None
    team: int | None = None
    answered = False
    awaiting: _Clock | None = None
    ola_clock: _Clock | None = None

    def paused() -> bool:
        return status in pausing

    def start(
        key: str, kind: ClockKind, target: Any, at: datetime, team_id: int | None = None
    ) -> _Clock | None:
        if not target:
            return None
        clock = _Clock(key, kind, int(target), at, team_id=team_id)
        if paused():
            clock.paused_since = at
        clocks[key] = clock
        return clock

    def receive(team_id: int | None, fact: Fact) -> None:
        nonlocal team, ola_clock
        if ola_clock is not None:
            ola_clock.stop(fact.at, final=True)  # handed on
            ola_clock = None
        team = team_id
        if team_id is not None and team_id in ola:
            ola_clock = start(f"ola:{team_id}:{fact.event_id}", ClockKind.OLA, ola[team_id], fact.at, team_id)

    for fact in found:
        at = fact.at
        if fact.action == "created":
            status = "new"
            start("first_response", ClockKind.FIRST_RESPONSE, targets.get("first_response"), at)
            start("resolution", ClockKind.RESOLUTION, targets.get("resolution"), at)
            receive(fact.team[0] if fact.team else None, fact)
            continue
        if fact.message_id is not None and fact.public:
            if fact.author == "agent":
                first = clocks.get("first_response")
                if first is not None:
                    first.stop(at, final=True)
                answered = True
                if awaiting is not None:
                    awaiting.stop(at, final=True)
                    awaiting = None
            elif fact.author == "customer" and answered and awaiting is None:
                awaiting = start(
                    f"next_response:{fact.message_id}",
                    ClockKind.NEXT_RESPONSE,
                    targets.get("next_response"),
                    at,
                )
        if fact.team is not None and fact.team[0] != team:
            receive(fact.team[0], fact)
        if fact.status is not None and fact.status != status:
            before, status = status, fact.status
            if status in DONE:
                for clock in clocks.values():
                    final = status == "closed" or clock.kind in (
                        ClockKind.FIRST_RESPONSE,
                        ClockKind.NEXT_RESPONSE,
                    )
                    clock.stop(at, final=final)
                awaiting = None
            elif before in DONE:
                for clock in clocks.values():
                    if clock.kind is ClockKind.RESOLUTION or clock is ola_clock:
                        clock.resume(at, paused=paused())
            for clock in clocks.values():
                if paused():
                    clock.pause(at)
                else:
                    clock.unpause(at)
    stages: dict[tuple[str, str], datetime] = {}
    for fact in found:
        if fact.stage is not None:
            column, key, when = fact.stage
            stages.setdefault((column, key), when)  # each warning fires once: the first one stays
    calendar = calendar_for(int(policy["calendar_id"]))
    share = int(policy.get("warn_percent") or 80)
    return [_row(c, policy, calendar, share, stages) for c in clocks.values()]


def _row(
    clock: _Clock,
    policy: Mapping[str, Any],
    calendar: business.Calendar,
    share: int,
    stages: Mapping[tuple[str, str], datetime],
) -> ClockRow:
    paused_s = sum(business.elapsed(calendar, a, b) for a, b in clock.pauses)
    due = warn = None
    if clock.paused_since is None or clock.stopped_at is not None:
        due = business.add(calendar, clock.started_at, clock.target_s + paused_s)
    if due is not None and clock.stopped_at is None:
        warn = business.add(calendar, clock.started_at, math.ceil(clock.target_s * share / 100) + paused_s)
    breached = stages.get(("breached_at", clock.key))
    if breached is None and clock.stopped_at is not None and due is not None and clock.stopped_at > due:
        breached = due
    return ClockRow(
        key=clock.key,
        kind=clock.kind,
        policy_id=int(policy["policy_id"]),
        team_id=clock.team_id,
        calendar_id=int(policy["calendar_id"]),
        target_s=clock.target_s,
        started_at=clock.started_at,
        due_at=due,
        warn_at=warn,
        paused_s=paused_s,
        paused_since=clock.paused_since if clock.stopped_at is None else None,
        stopped_at=clock.stopped_at,
        breached_at=breached,
        warned_at=stages.get(("warned_at", clock.key)),
    )
