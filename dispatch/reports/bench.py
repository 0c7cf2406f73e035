"""Reports benchmark: the nightly aggregate job over a year of tickets and visits, and the report API's
answer times read from the daily rows.

``python -m dispatch.reports.bench [--quick] [--database-url postgresql+psycopg://...]`` (a scratch
schema, dropped afterwards; without a URL a scratch SQLite file):

1. writes ``--tickets`` tickets over ``--days`` days (channels, categories, five desk teams; 85 %
   resolved, 5 % reopened) with their first-response, resolution and OLA clocks and status events,
   self-service answers, ``--visits`` completed visits with check-ins, and one published plan a day
   with ten routes (bulk inserts, then ``ANALYZE``);
2. times the job building every day's rows (the backfill), and the nightly run (the last
   :data:`dispatch.reports.jobs.REFRESH_DAYS` days);
3. times ``GET /api/v1/reports/<figure>`` over the whole range, per day and per month, by every
   dimension, ``--repeat`` times each, and prints p50 / p95 against the 200 ms target.

``--pages-only`` skips 1 and 2: it writes the daily rows such a range makes (the same shapes and
sizes, one duration sample per ticket per dimension, random values) and times 3 on them, so the
API can be measured at full size in a minute.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from dispatch import migrate
from dispatch.access import SYSTEM, Role
from dispatch.calendars import service as calendars
from dispatch.catalog import service as catalog
from dispatch.customers import service as customers
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.engineers import service as engineers
from dispatch.events.models import Event
from dispatch.kb.models import Article, SelfService, SelfServiceSource, Visibility
from dispatch.orders.models import Order, OrderStatus
from dispatch.planning.models import Plan, PlanRoute, PlanStatus, PlanStop
from dispatch.reports import jobs, service
from dispatch.reports.figures import Audience, Reading, all_figures
from dispatch.reports.models import DailyAggregate
from dispatch.routing.models import DeskTeam
from dispatch.sites import service as sites
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.tickets.models import Ticket, TicketCategory, TicketChannel, TicketKind, TicketStatus
from dispatch.users import service as users

TZ = "Europe/London"
OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
CHUNK = 5000
PASSWORD = "a long enough bench password"
TARGET_MS = 200.0


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url and url.startswith("postgresql"):
        with scratch_schema(url, "reportbench") as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _generate(session: Session, *, tickets: int, visits: int, first: date, days: int, seed: int) -> None:
    rng = random.Random(seed)
    cal = calendars.create(
        session,
        actor=SYSTEM,
        name="Office",
        time_zone=TZ,
        week=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE),
    ).id
    teams = [DeskTeam(code=f"t{n}", name=f"Team {n}") for n in range(5)]
    categories = [TicketCategory(name=f"Category {n}") for n in range(10)]
    article = Article(visibility=Visibility.PUBLIC)
    session.add_all([*teams, *categories, article])
    session.flush()
    customer = customers.create(session, actor=SYSTEM, name="Bench Ltd", email="bench@example.com").id
    site_ids = [
        sites.create(
            session,
            actor=SYSTEM,
            customer_id=customer,
            address=f"{n} Bench Street",
            latitude=53.4 + n / 1000,
            longitude=-2.2,
            geocoder=None,
            default_time_zone=TZ,
        ).id
        for n in range(200)
    ]
    kind = catalog.create_type(
        session, actor=SYSTEM, code="service", name="Service", default_duration_s=3600
    ).id
    crew = [
        engineers.create(
            session, actor=SYSTEM, name=f"Engineer {n}", home_latitude=53.48, home_longitude=-2.24
        ).id
        for n in range(10)
    ]
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    span_s = days * 86400
    channels = list(TicketChannel)
    ticket_rows, created = [], []
    for n in range(tickets):
        at = start + timedelta(seconds=rng.randrange(span_s))
        resolved = at + timedelta(hours=rng.uniform(0.5, 72)) if rng.random() < 0.85 else None
        created.append((at, resolved))
        ticket_rows.append(
            {
                "id": n + 1,
                "kind": TicketKind.FAULT,
                "channel": rng.choice(channels),
                "subject": "Bench ticket",
                "status": TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
                "customer_id": customer,
                "category_id": rng.choice(categories).id,
                "team_id": rng.choice(teams).id,
                "created_at": at,
                "updated_at": at,
                "resolved_at": resolved,
                "tags": [],
            }
        )
    _bulk(session, Ticket, ticket_rows)
    clock_rows, event_rows, served = [], [], []
    for n, (at, resolved) in enumerate(created, start=1):
        answered = at + timedelta(minutes=rng.uniform(5, 600))
        base = {"ticket_id": n, "policy_id": 1, "calendar_id": cal, "started_at": at, "paused_s": 0}
        clock_rows.append(
            {
                **base,
                "key": "first_response",
                "kind": ClockKind.FIRST_RESPONSE,
                "target_s": 3600,
                "stopped_at": answered,
                "breached_at": answered if rng.random() < 0.2 else None,
            }
        )
        if resolved:
            clock_rows.append(
                {
                    **base,
                    "key": "resolution",
                    "kind": ClockKind.RESOLUTION,
                    "target_s": 8 * 3600,
                    "stopped_at": resolved,
                }
            )
            event_rows.append(
                {
                    "at": resolved,
                    "actor_role": "agent",
                    "entity_type": "ticket",
                    "entity_id": n,
                    "ticket_id": n,
                    "action": "status_changed",
                    "after": {"status": "resolved"},
                }
            )
            if rng.random() < 0.05:
                event_rows.append(
                    {
                        "at": resolved + timedelta(hours=2),
                        "actor_role": "customer",
                        "entity_type": "ticket",
                        "entity_id": n,
                        "ticket_id": n,
                        "action": "status_changed",
                        "after": {"status": "reopened"},
                    }
                )
        if rng.random() < 0.3:
            clock_rows.append(
                {
                    **base,
                    "key": "ola",
                    "kind": ClockKind.OLA,
                    "target_s": 4 * 3600,
                    "team_id": rng.choice(teams).id,
                    "stopped_at": answered,
                }
            )
        if rng.random() < 0.05:
            served.append(
                {
                    "article_id": article.id,
                    "source": SelfServiceSource.CUSTOMER,
                    "visitor": f"v{n}",
                    "created_at": at,
                }
            )
    _bulk(session, SlaClock, clock_rows)
    _bulk(session, SelfService, served)
    order_rows: list[dict[str, Any]] = []
    by_day: dict[date, list[tuple[int, datetime]]] = {}
    for n in range(visits):
        day = first + timedelta(days=rng.randrange(days))
        at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=rng.randrange(540))
        order_rows.append(
            {
                "id": n + 1,
                "customer_id": customer,
                "site_id": rng.choice(site_ids),
                "service_type_id": kind,
                "engineer_id": rng.choice(crew),
                "status": OrderStatus.COMPLETED,
                "duration_s": 3600,
                "created_at": at - timedelta(days=rng.randrange(1, 10)),
                "updated_at": at,
            }
        )
        by_day.setdefault(day, []).append((n + 1, at))
        event_rows.append(
            {
                "at": at + timedelta(minutes=rng.randrange(-10, 30)),
                "actor_role": "engineer",
                "entity_type": "order",
                "entity_id": n + 1,
                "order_id": n + 1,
                "action": "check_in",
            }
        )
        event_rows.append(
            {
                "at": at + timedelta(hours=1),
                "actor_role": "engineer",
                "entity_type": "order",
                "entity_id": n + 1,
                "order_id": n + 1,
                "action": "complete",
            }
        )
    _bulk(session, Order, order_rows)
    _bulk(session, Event, event_rows)
    plan_rows, route_rows, stop_rows = [], [], []
    for p, (day, stops) in enumerate(sorted(by_day.items()), start=1):
        morning = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
        plan_rows.append(
            {
                "id": p,
                "day": day,
                "time_zone": TZ,
                "status": PlanStatus.PUBLISHED,
                "time_limit_s": 10,
                "published_at": morning - timedelta(hours=12),
                "created_at": morning,
                "updated_at": morning,
            }
        )
        for e, engineer in enumerate(crew):
            route_id = (p - 1) * len(crew) + e + 1
            route_rows.append(
                {
                    "id": route_id,
                    "plan_id": p,
                    "engineer_id": engineer,
                    "departs_at": morning,
                    "returns_at": morning + timedelta(hours=9),
                    "travel_distance_m": rng.randrange(20_000, 90_000),
                    "travel_time_s": rng.randrange(1800, 9000),
                }
            )
            for seq, (order_id, at) in enumerate(stops[e :: len(crew)], start=1):
                stop_rows.append(
                    {
                        "route_id": route_id,
                        "order_id": order_id,
                        "sequence": seq,
                        "arrives_at": at,
                        "starts_at": at,
                        "departs_at": at + timedelta(hours=1),
                        "travel_time_s": 900,
                        "travel_distance_m": 8000,
                    }
                )
    _bulk(session, Plan, plan_rows)
    _bulk(session, PlanRoute, route_rows)
    _bulk(session, PlanStop, stop_rows)
    users.create(
        session, actor=SYSTEM, email="lead@example.com", full_name="Lead", password=PASSWORD, role=Role.ADMIN
    )


KEYS = {"all": 1, "channel": 6, "category": 10, "desk_team": 5, "engineer": 10}


def _daily_rows(session: Session, *, tickets: int, visits: int, first: date, days: int, seed: int) -> int:
    """The daily rows a year of ``tickets`` and ``visits`` makes (same shapes, random values), written directly."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for figure in all_figures():
        per_day = (tickets if figure.audience is Audience.DESK else visits) / days
        for day in service.days(first, first + timedelta(days=days - 1)):
            for dimension in figure.dimensions:
                keys = KEYS.get(dimension, 1)
                for key in range(keys):
                    n = max(int(rng.gauss(per_day / keys, per_day / keys / 5)), 0)
                    samples = (
                        sorted(rng.randrange(60, 200_000) for _ in range(n))
                        if figure.reading is Reading.DURATION
                        else None
                    )
                    rows.append(
                        {
                            "day": day,
                            "figure": figure.name,
                            "dimension": dimension,
                            "key": "all" if dimension == "all" else str(key + 1),
                            "count": n,
                            "total": int(n * rng.uniform(0.6, 0.95)),
                            "samples": samples,
                            "computed_at": datetime.now(UTC),
                        }
                    )
    _bulk(session, DailyAggregate, rows)
    return len(rows)


def _fix_sequences(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("tickets", "orders", "plans", "plan_routes"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(text("ANALYZE"))


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


def _answer_times(url: str, first: date, last: date, repeat: int) -> list[tuple[str, float, float, int]]:
    from api import create_app

    app = create_app(
        {
            "env": "test",
            "database_url": url,
            "secret_key": "bench-" + "x" * 40,
            "login_limit_service": "100/second",
            "login_limit_per_address": "1000/minute",
            "login_limit_per_account": "1000/minute",
        }
    )
    client = app.test_client()
    login: dict[str, Any] = (
        client.post("/api/v1/auth/login", json={"email": "lead@example.com", "password": PASSWORD}).json or {}
    )
    token = login["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    for figure in all_figures():
        for group in figure.dimensions:
            for every in ("day", "month"):
                path = f"/api/v1/reports/{figure.name}?from={first}&to={last}&group={group}&every={every}"
                samples, points = [], 0
                for _n in range(repeat):
                    began = time.perf_counter()
                    answer = client.get(path, headers=headers)
                    samples.append((time.perf_counter() - began) * 1000)
                    assert answer.status_code == 200, answer.get_data(as_text=True)
                    body: dict[str, Any] = answer.json or {}
                    points = len(body["points"])
                p50, p95 = _ms(samples)
                results.append((f"{figure.name} by {group}, per {every}", p50, p95, points))
    app.extensions["dispatch.db"].engine.dispose()
    return results


@click.command()
@click.option("--database-url", help="PostgreSQL base URL (a scratch schema); default: a scratch SQLite file")
@click.option("--tickets", type=int, default=100_000, show_default=True)
@click.option("--visits", type=int, default=50_000, show_default=True)
@click.option("--days", type=int, default=365, show_default=True)
@click.option("--repeat", type=int, default=20, show_default=True)
@click.option("--quick", is_flag=True, help="10,000 tickets, 5,000 visits, 60 days, 5 repeats")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--pages-only",
    is_flag=True,
    help="skip the tickets and the job: write the daily rows such a range makes and time the API on them",
)
def main(
    database_url: str | None,
    tickets: int,
    visits: int,
    days: int,
    repeat: int,
    quick: bool,
    seed: int,
    pages_only: bool,
) -> None:
    """Generate the data, time the aggregate job and the report API."""
    if quick:
        tickets, visits, days, repeat = 10_000, 5_000, 60, 5
    first = date(2025, 1, 1)
    last = first + timedelta(days=days - 1)
    with _database(database_url) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        began = time.perf_counter()
        if pages_only:
            with factory() as session:
                written = _daily_rows(
                    session, tickets=tickets, visits=visits, first=first, days=days, seed=seed
                )
                users.create(
                    session,
                    actor=SYSTEM,
                    email="lead@example.com",
                    full_name="Lead",
                    password=PASSWORD,
                    role=Role.ADMIN,
                )
                session.commit()
            _fix_sequences(engine)
            click.echo(
                f"{engine.dialect.name}: the daily rows of {tickets:,} tickets and {visits:,} visits over {days} days "
                f"({written:,} rows) written in {time.perf_counter() - began:.1f} s; the job is not run"
            )
            engine.dispose()
            _print_answers(_answer_times(url, first, last, repeat))
            return
        with factory() as session:
            _generate(session, tickets=tickets, visits=visits, first=first, days=days, seed=seed)
            session.commit()
        _fix_sequences(engine)
        click.echo(
            f"{engine.dialect.name}: {tickets:,} tickets, {visits:,} visits over {days} days "
            f"generated in {time.perf_counter() - began:.1f} s"
        )
        began = time.perf_counter()
        rows = 0
        for day in service.days(first, last):
            with factory() as session:
                rows += service.build_day(session, day, time_zone=TZ)
                session.commit()
        backfill = time.perf_counter() - began
        began = time.perf_counter()
        for day in service.days(last - timedelta(days=jobs.REFRESH_DAYS - 1), last):
            with factory() as session:
                service.build_day(session, day, time_zone=TZ)
                session.commit()
        nightly = time.perf_counter() - began
        with factory() as session:
            stored = session.scalar(select(text("count(*)")).select_from(text("report_daily")))
        click.echo(
            f"aggregate job: {days} days in {backfill:.1f} s ({backfill / days * 1000:.0f} ms a day, "
            f"{rows:,} rows written, {stored:,} kept); nightly run ({jobs.REFRESH_DAYS} days): {nightly:.1f} s"
        )
        engine.dispose()
        _print_answers(_answer_times(url, first, last, repeat))


def _print_answers(results: list[tuple[str, float, float, int]]) -> None:
    click.echo(f"\n{'GET /api/v1/reports/...':<46} {'p50 ms':>8} {'p95 ms':>8} {'points':>7}")
    for name, p50, p95, points in results:
        flag = "" if p95 < TARGET_MS else f"  over {TARGET_MS:.0f} ms"
        click.echo(f"{name:<46} {p50:8.1f} {p95:8.1f} {points:7d}{flag}")
    worst = max(p95 for _name, _p50, p95, _points in results)
    click.echo(f"\nworst p95 {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
