"""Assignment benchmark: 1,000 tickets arriving at once, 50 agents, several workers assigning together.

``python -m dispatch.routing.bench`` (see ``--help``) builds a scratch database (SQLite file, or a
PostgreSQL schema with ``--database-url``, dropped afterwards), opens the tickets through the
ticket service (the baseline: time per ticket opened, in the same run), then starts worker
processes that all assign the team's waiting tickets at once through :mod:`dispatch.routing.assign`
(what ``dispatch worker --queue desk`` runs), for each strategy. It prints, per strategy and
database: tickets assigned, assigned twice (from the event log), agents over capacity, the spread of
tickets per agent against what the strategy promises, and the time per ticket with its ratio to
opening one.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from dispatch import migrate
from dispatch.access import SYSTEM, Role
from dispatch.customers import service as customers
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.events.models import Event
from dispatch.orders.models import Priority
from dispatch.routing import assign
from dispatch.routing import service as routing
from dispatch.routing.models import AssignmentStrategy, DeskAgent
from dispatch.routing.service import PRIORITY_WEIGHT
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketKind
from dispatch.users import service as users

TZ = "Europe/London"
PRIORITIES = ("low", "normal", "normal", "high", "urgent")


@dataclass(frozen=True)
class Result:
    """One strategy's run."""

    strategy: str
    database: str
    tickets: int
    assigned: int
    twice: int
    over_capacity: int
    per_agent_min: int
    per_agent_max: int
    load_min: int
    load_max: int
    open_s: float
    assign_s: float
    workers: int


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    if base_url.startswith("postgresql"):
        with scratch_schema(base_url, "bench") as url:
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="dispatch-desk-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


def build(
    url: str, *, tickets_count: int, agents: int, capacity: int, strategy: AssignmentStrategy
) -> tuple[int, float]:
    """One team of agents and ``tickets_count`` waiting tickets; returns the team id and seconds spent opening."""
    from argon2 import PasswordHasher, profiles

    import dispatch.users.service as user_service

    user_service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)  # bench users never log in
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        team = routing.create_team(session, actor=SYSTEM, code="first", name="First line", strategy=strategy)
        for i in range(agents):
            user = users.create(
                session,
                actor=SYSTEM,
                email=f"agent{i}@bench.example.com",
                full_name=f"Agent {i}",
                password="not a real password 1",
                role=Role.AGENT,
            )
            session.flush()
            routing.set_member(
                session, actor=SYSTEM, team_id=team.id, user_id=user.id, is_lead=False, default_time_zone=TZ
            )
            session.get(DeskAgent, user.id).capacity = capacity
        customer = customers.create(session, actor=SYSTEM, name="Bench customer", email="bench@example.com")
        session.commit()
        team_id, customer_id = team.id, customer.id
    started = time.perf_counter()
    with sessions() as session:
        for i in range(tickets_count):
            new = tickets.NewTicket(
                kind=TicketKind.FAULT,
                subject=f"Fault {i}",
                body="It stopped working.",
                customer_id=customer_id,
                team_id=team_id,
                priority=Priority(PRIORITIES[i % len(PRIORITIES)]),
            )
            tickets.create(session, actor=SYSTEM, new=new)
            if i % 100 == 99:
                session.commit()
        session.commit()
    opened = time.perf_counter() - started
    engine.dispose()
    return team_id, opened


def _worker(url: str, team_id: int, ready: Any, go: Any, done: Any) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    ready.put(1)
    go.wait()
    outcomes = assign.assign_waiting(sessions, team_id)
    done.put(sum(1 for o in outcomes if o.user_id is not None))
    engine.dispose()


def run(url: str, *, team_id: int, workers: int) -> float:
    """Start ``workers`` processes that assign the team's tickets at the same moment; seconds until all end."""
    ctx = multiprocessing.get_context("spawn")
    ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker, args=(url, team_id, ready, go, done)) for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    started = time.perf_counter()
    go.set()
    for p in procs:
        p.join(600)
        if p.exitcode != 0:
            raise click.ClickException(f"an assignment worker failed (exit code {p.exitcode})")
    return time.perf_counter() - started


def measure(url: str, *, team_id: int) -> dict[str, int]:
    """What the run did: assigned, twice, over capacity, spread of counts and of weighted loads."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(Ticket.assignee_id, Ticket.priority).where(Ticket.team_id == team_id)
        ).all()
        per_agent = Counter(a for a, _p in rows if a is not None)
        weighted: Counter[int] = Counter()
        for a, p in rows:
            if a is not None:
                weighted[a] += PRIORITY_WEIGHT[p]
        agents = {a.user_id: a.capacity for a in session.scalars(select(DeskAgent))}
        twice = len(
            session.execute(
                select(Event.ticket_id)
                .where(Event.action == "assigned")
                .group_by(Event.ticket_id)
                .having(func.count() > 1)
            ).all()
        )
    engine.dispose()
    counts = [per_agent.get(a, 0) for a in agents]
    loads = [weighted.get(a, 0) for a in agents]
    return {
        "assigned": sum(per_agent.values()),
        "twice": twice,
        "over": sum(1 for a, cap in agents.items() if per_agent.get(a, 0) > cap),
        "min": min(counts),
        "max": max(counts),
        "load_min": min(loads),
        "load_max": max(loads),
    }


def bench(
    base_url: str,
    *,
    tickets_count: int,
    agents: int,
    capacity: int,
    workers: int,
    strategy: AssignmentStrategy,
) -> Result:
    """One strategy on one fresh database."""
    with scratch_database(base_url) as url:
        team_id, opened = build(
            url, tickets_count=tickets_count, agents=agents, capacity=capacity, strategy=strategy
        )
        seconds = run(url, team_id=team_id, workers=workers)
        m = measure(url, team_id=team_id)
    return Result(
        strategy=strategy.value,
        database="postgresql" if base_url.startswith("postgresql") else "sqlite",
        tickets=tickets_count,
        assigned=m["assigned"],
        twice=m["twice"],
        over_capacity=m["over"],
        per_agent_min=m["min"],
        per_agent_max=m["max"],
        load_min=m["load_min"],
        load_max=m["load_max"],
        open_s=opened,
        assign_s=seconds,
        workers=workers,
    )


PROMISE = {
    "round_robin": "tickets per agent differ by at most 1",
    "least_loaded": "weighted loads differ by at most the heaviest weight (4)",
}


def fair(result: Result) -> bool:
    """Whether the spread is within what the strategy promises."""
    if result.strategy == "round_robin":
        return result.per_agent_max - result.per_agent_min <= 1
    return result.load_max - result.load_min <= max(PRIORITY_WEIGHT.values())


@click.command()
@click.option("--tickets", "tickets_count", default=1000, show_default=True)
@click.option("--agents", default=50, show_default=True)
@click.option("--capacity", default=25, show_default=True, help="open tickets per agent at most")
@click.option("--workers", default=4, show_default=True, help="assignment worker processes at once")
@click.option(
    "--database-url",
    envvar="DISPATCH_BENCH_DATABASE_URL",
    default="",
    help="PostgreSQL base URL (default: SQLite file)",
)
def main(tickets_count: int, agents: int, capacity: int, workers: int, database_url: str) -> None:
    """Assign tickets arriving at once with several workers; check none twice, none over capacity, the spread."""
    click.echo(
        f"{tickets_count} tickets, {agents} agents of capacity {capacity}, {workers} workers at once, "
        f"{'PostgreSQL' if database_url else 'SQLite'}"
    )
    click.echo(
        "| strategy | database | assigned | twice | over capacity | per agent (min-max) | weighted load (min-max) "
        "| within fairness | open a ticket (baseline) | assign a ticket | ratio |"
    )
    click.echo("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for strategy in (AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.LEAST_LOADED):
        r = bench(
            database_url,
            tickets_count=tickets_count,
            agents=agents,
            capacity=capacity,
            workers=workers,
            strategy=strategy,
        )
        per_open = r.open_s / r.tickets * 1000
        per_assign = r.assign_s / max(r.assigned, 1) * 1000
        click.echo(
            f"| {r.strategy} | {r.database} | {r.assigned} / {r.tickets} | {r.twice} | {r.over_capacity} "
            f"| {r.per_agent_min}-{r.per_agent_max} | {r.load_min}-{r.load_max} "
            f"| {'yes' if fair(r) else 'NO'} ({PROMISE[r.strategy]}) | {per_open:.1f} ms | {per_assign:.1f} ms "
            f"| {per_assign / per_open:.2f} |"
        )


if __name__ == "__main__":
    main()
