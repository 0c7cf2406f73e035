"""SLA benchmark: the warning/breach scan and the about-to-breach queue on 100,000 tickets with their
clocks, and the business-time arithmetic per second.

``python -m dispatch.sla.bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test``
(a scratch schema, dropped afterwards; without a URL a scratch SQLite file):

1. writes ``--tickets`` tickets (70 % open: new, open, pending; 30 % resolved or closed) with their
   clocks (first response, resolution, some next response and OLA clocks; running ones due from
   three days ago to five days ahead, the overdue ones already marked breached except a backlog of
   ``--backlog`` that have just come due), then ``ANALYZE``;
2. times, ``--repeat`` times each at a random moment of the next hour: the scan's two candidate
   queries (200 clocks), the desk's about-to-breach queue (60 minutes ahead, 50 tickets; all teams
   and one team), an agent's queue pages (mine, my teams', unassigned: 25 tickets, newest first, as
   ``GET /api/v1/tickets?queue=...`` reads them) and the queue counts (``GET /api/v1/tickets/queues``,
   each counted up to 1,000), and as the baseline a primary-key read of one ticket; prints p50 / p95
   and the ratio to the baseline, and each query's plan (``EXPLAIN``) with the indexes it uses;
3. runs one real scan pass over the backlog (warnings and breaches written, events recorded);
4. times ``add`` and ``elapsed`` on the Manchester office calendar with England's bank holidays
   (random starts over two years, random targets up to ten business days) against a baseline of
   ``datetime.astimezone`` calls in the same run.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from dispatch import migrate
from dispatch.access import SYSTEM, Actor, Role
from dispatch.calendars import business
from dispatch.calendars import service as calendars
from dispatch.customers import service as customers
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.routing import service as routing
from dispatch.sla import policies, scan
from dispatch.sla import queue as soon
from dispatch.sla.models import SlaClock
from dispatch.tickets import service as tickets_service
from dispatch.tickets.models import Ticket
from dispatch.users.models import User

OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
HOUR = 3600
CHUNK = 5000
AGENTS = 50


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url and url.startswith("postgresql"):
        with scratch_schema(url, "slabench") as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def _setup(session: Session) -> tuple[int, int, list[int]]:
    cal = calendars.create(
        session,
        actor=SYSTEM,
        name="Manchester office",
        time_zone="Europe/London",
        week=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE),
    )
    now = datetime.now(UTC)
    calendars.seed_days(
        session,
        actor=SYSTEM,
        calendar_id=cal.id,
        expected_version=None,
        source="holidays",
        country="GB",
        subdiv="ENG",
        from_year=now.year - 1,
        to_year=now.year + 1,
    )
    teams = [
        routing.create_team(session, actor=SYSTEM, code=f"team-{i}", name=f"Team {i}").id for i in range(5)
    ]
    policy = policies.create(
        session,
        actor=SYSTEM,
        name="Standard",
        condition={},
        calendar_id=cal.id,
        first_response_s=4 * HOUR,
        next_response_s=8 * HOUR,
        resolution_s=25 * HOUR,
        ola_targets=[{"team_id": t, "target_s": 6 * HOUR} for t in teams],
    )
    customer = customers.create(session, actor=SYSTEM, name="Bench customer", email="bench@example.com")
    # Fifty agents, ten in each team (no password: nobody logs in as them here).
    agents = [
        User(email=f"agent{i}@bench.example.com", full_name=f"Agent {i}", password_hash="!", role=Role.AGENT)
        for i in range(AGENTS)
    ]
    session.add_all(agents)
    session.flush()
    for i, agent in enumerate(agents):
        routing.set_member(
            session,
            actor=SYSTEM,
            team_id=teams[i % len(teams)],
            user_id=agent.id,
            is_lead=False,
            default_time_zone="Europe/London",
        )
    session.commit()
    return cal.id, policy.id, [*teams, customer.id]


def _agents_by_team(session: Session) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for user in session.scalars(select(User).where(User.role == Role.AGENT).order_by(User.id)):
        for team_id in routing.team_ids_of(session, user.id):
            found.setdefault(team_id, []).append(user.id)
    return found


def _fill(
    engine: Engine,
    *,
    tickets: int,
    backlog: int,
    calendar_id: int,
    policy_id: int,
    teams: list[int],
    customer_id: int,
    members: dict[int, list[int]],
    seed: int = 7,
) -> int:
    """Write the tickets and their clocks in bulk; returns the number of clocks."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    clocks = 0
    backlog_left = backlog
    with engine.begin() as conn:
        for base in range(0, tickets, CHUNK):
            ticket_rows, clock_rows = [], []
            for i in range(base, min(base + CHUNK, tickets)):
                tid = i + 1
                done = rng.random() < 0.3
                status = (
                    rng.choice(["resolved", "closed"])
                    if done
                    else rng.choice(["new", "open", "open", "pending"])
                )
                opened = now - timedelta(seconds=rng.randint(60, 10 * 86400))
                team = rng.choice(teams)
                # Most tickets have an agent of their team; 15 % of the open ones wait for one.
                assignee = None if (not done and rng.random() < 0.15) else rng.choice(members[team])
                ticket_rows.append(
                    {
                        "id": tid,
                        "kind": rng.choice(["inquiry", "fault", "visit_request", "complaint"]),
                        "channel": rng.choice(["email", "phone", "portal"]),
                        "status": status,
                        "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
                        "subject": f"Ticket {tid}",
                        "customer_id": customer_id,
                        "team_id": team,
                        "assignee_id": assignee,
                        "tags": [],
                        "sla_policy_id": policy_id,
                        "sla_match": {"by": "order", "policy_id": policy_id},
                        "version": 1,
                        "created_at": opened,
                        "updated_at": opened,
                    }
                )
                for key, kind, target, team_id in (
                    ("first_response", "first_response", 4 * HOUR, None),
                    ("resolution", "resolution", 25 * HOUR, None),
                    *(
                        [(f"next_response:{tid}", "next_response", 8 * HOUR, None)]
                        if rng.random() < 0.2
                        else []
                    ),
                    *([(f"ola:{team}:{tid}", "ola", 6 * HOUR, team)] if rng.random() < 0.3 else []),
                ):
                    running = not done and not (kind == "first_response" and rng.random() < 0.6)
                    paused = running and status == "pending"
                    due = now + timedelta(seconds=rng.randint(-3 * 86400, 5 * 86400))
                    row: dict[str, Any] = {
                        "ticket_id": tid,
                        "key": key,
                        "kind": kind,
                        "policy_id": policy_id,
                        "team_id": team_id,
                        "calendar_id": calendar_id,
                        "target_s": target,
                        "started_at": opened,
                        "paused_s": 0,
                        "due_at": None if paused else due,
                        "warn_at": None,
                        "paused_since": None,
                        "stopped_at": None,
                        "breached_at": None,
                        "warned_at": None,
                    }
                    if not running:
                        row["stopped_at"] = opened + timedelta(seconds=rng.randint(60, 86400))
                    elif paused:
                        row["paused_since"] = now - timedelta(seconds=rng.randint(60, 86400))
                    else:
                        row["warn_at"] = due - timedelta(seconds=target // 5)
                        if due <= now:
                            if backlog_left > 0:
                                backlog_left -= 1
                                row["due_at"] = now - timedelta(seconds=rng.randint(1, 600))
                                row["warn_at"] = row["due_at"] - timedelta(seconds=target // 5)
                            else:
                                row["breached_at"], row["warned_at"] = (
                                    due,
                                    due - timedelta(seconds=target // 5),
                                )
                        elif row["warn_at"] <= now:
                            row["warned_at"] = row["warn_at"]
                    clock_rows.append(row)
            conn.execute(insert(Ticket), ticket_rows)
            conn.execute(insert(SlaClock), clock_rows)
            clocks += len(clock_rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": tickets})
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return clocks


def _timed(run: Callable[[], Any], repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        found.append((time.perf_counter() - start) * 1000)
    return found


def _p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def _plan(session: Session, stmt: Any) -> list[str]:
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN " if session.get_bind().dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = session.execute(text(prefix + str(compiled))).all()
    return [str(r[-1]) for r in rows]


def _arithmetic(repeat: int = 20_000, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE)
    import holidays

    days = holidays.country_holidays("GB", subdiv="ENG", years=[now.year - 1, now.year, now.year + 1])
    calendar = business.Calendar("Europe/London", week, {d: [] for d in days})
    starts = [now + timedelta(seconds=rng.randint(-365 * 86400, 365 * 86400)) for _ in range(repeat)]
    amounts = [rng.randint(60, 10 * 8 * HOUR) for _ in range(repeat)]
    dues = []
    t0 = time.perf_counter()
    for s, a in zip(starts, amounts, strict=True):
        dues.append(business.add(calendar, s, a))
    t_add = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s, d in zip(starts, dues, strict=True):
        business.elapsed(calendar, s, d)
    t_elapsed = time.perf_counter() - t0
    zone = ZoneInfo("Europe/London")
    t0 = time.perf_counter()
    for s in starts:
        s.astimezone(zone)
    t_base = time.perf_counter() - t0
    return {"add": repeat / t_add, "elapsed": repeat / t_elapsed, "astimezone": repeat / t_base}


@click.command()
@click.option(
    "--database-url", default=None, help="PostgreSQL base URL (a scratch schema is made); default SQLite"
)
@click.option("--tickets", default=100_000, show_default=True)
@click.option("--backlog", default=300, show_default=True, help="clocks that have just come due")
@click.option("--repeat", default=200, show_default=True)
def main(database_url: str | None, tickets: int, backlog: int, repeat: int) -> None:
    """Time the SLA scan, the about-to-breach queue and the business-time arithmetic."""
    with _database(database_url) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            calendar_id, policy_id, ids = _setup(session)
            members = _agents_by_team(session)
        t0 = time.perf_counter()
        clocks = _fill(
            engine,
            tickets=tickets,
            backlog=backlog,
            calendar_id=calendar_id,
            policy_id=policy_id,
            teams=ids[:-1],
            customer_id=ids[-1],
            members=members,
        )
        click.echo(
            f"{engine.dialect.name}: {tickets:,} tickets, {clocks:,} clocks written in {time.perf_counter() - t0:.1f} s"
        )
        agent = Actor(role=Role.AGENT, user_id=None)
        rng = random.Random(11)
        now = datetime.now(UTC)

        def moment() -> datetime:
            return now + timedelta(seconds=rng.randint(0, HOUR))

        results: list[tuple[str, list[float]]] = []
        plans: dict[str, list[str]] = {}
        someone = Actor(role=Role.AGENT, user_id=members[ids[0]][0])
        with sessions() as session:
            team = ids[0]
            cases: list[tuple[str, Callable[[], Any], Any]] = [
                (
                    "baseline: one ticket by primary key",
                    lambda: session.execute(
                        select(Ticket.id, Ticket.status).where(Ticket.id == rng.randint(1, tickets))
                    ).all(),
                    None,
                ),
                (
                    "scan: breach candidates (200)",
                    lambda: session.scalars(scan.breach_candidates(moment(), 200)).all(),
                    scan.breach_candidates(now, 200),
                ),
                (
                    "scan: warning candidates (200)",
                    lambda: session.scalars(scan.warning_candidates(moment(), 200)).all(),
                    scan.warning_candidates(now, 200),
                ),
                (
                    "queue: about to breach, 60 min, 50 tickets",
                    lambda: soon.about_to_breach(session, actor=agent, within_minutes=60, now=moment()),
                    None,
                ),
                (
                    "queue: about to breach, one team",
                    lambda: soon.about_to_breach(
                        session, actor=agent, within_minutes=60, team_id=team, now=moment()
                    ),
                    None,
                ),
                *(
                    (
                        f"agent's queue: {label}, 25 newest",
                        lambda queue=queue: tickets_service.list_tickets(
                            session, actor=someone, queue=queue, limit=25
                        ),
                        tickets_service.filtered(session, actor=someone, queue=queue)
                        .order_by(Ticket.id.desc())
                        .limit(26),
                    )
                    for queue, label in (
                        ("mine", "mine"),
                        ("team", "my teams'"),
                        ("unassigned", "unassigned"),
                    )
                ),
                (
                    "agent's queue counts (4, each up to 1,000)",
                    lambda: tickets_service.queue_counts(session, actor=someone),
                    None,
                ),
            ]
            for name, run, stmt in cases:
                run()  # warm the cache
                results.append((name, _timed(run, repeat)))
                session.expunge_all()
                if stmt is not None:
                    plans[name] = _plan(session, stmt)
            plans["queue: about to breach (SQL)"] = _queue_plan(session, now)
        with sessions() as session:
            t0 = time.perf_counter()
            done = scan.run(session, now=datetime.now(UTC), limit=1000)
            session.commit()
            scan_s = time.perf_counter() - t0
        engine.dispose()
    base = statistics.median(results[0][1])
    click.echo("")
    click.echo(
        f"| query ({tickets:,} tickets, {clocks:,} clocks, {repeat} runs) | p50 ms | p95 ms | p50 / baseline |"
    )
    click.echo("| --- | ---: | ---: | ---: |")
    for name, values in results:
        click.echo(
            f"| {name} | {statistics.median(values):.2f} | {_p(values, 95):.2f} | {statistics.median(values) / base:.1f} |"
        )
    click.echo("")
    click.echo(
        f"one scan pass: {done.breaches} breaches and {done.warnings} warnings raised in {scan_s:.2f} s "
        f"({done.total / scan_s:.0f} clocks/s, events and escalations included)"
    )
    rates = _arithmetic()
    click.echo(
        f"business time: add {rates['add']:,.0f}/s, elapsed {rates['elapsed']:,.0f}/s; "
        f"baseline datetime.astimezone {rates['astimezone']:,.0f}/s "
        f"(add costs {rates['astimezone'] / rates['add']:.1f}x an astimezone)"
    )
    click.echo("")
    for name, lines in plans.items():
        click.echo(f"plan of {name}:")
        for line in lines:
            click.echo(f"    {line}")


def _queue_plan(session: Session, now: datetime) -> list[str]:
    """The plan of the queue's statement, captured from the query the service sends."""
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "sla_clocks_1" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        soon.about_to_breach(session, actor=Actor(role=Role.AGENT), within_minutes=60, now=now)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = captured[0]
    prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = session.connection().exec_driver_sql(prefix + statement, parameters).all()
    return [str(r[-1]) for r in rows]


if __name__ == "__main__":
    main()
