"""Reports benchmark: the nightly aggregate job over a year of tickets and visits, and the report API's
answer times read from the daily rows.

``python -m dispatch.reports.bench [--quick] [--database-url postgresql+psycopg://...]`` (a scratch
schema, dropped afterwards; without a URL a scratch SQLite file):

1. writes ``--tickets`` tickets over ``--days`` days (channels, categories, five desk teams; 85 %
   resolved, 5 % reopened, 3 % complaints attributed to a root cause) with their first-response,
   resolution and OLA clocks and status events, self-service answers, answered surveys (a fifth of
   the resolved tickets, a quarter of the visits), ``--visits`` completed visits with check-ins, and
   one published plan a day with ten routes (bulk inserts, then ``ANALYZE``);
2. times the job building every day's rows (the backfill, :data:`dispatch.reports.jobs.CHUNK_DAYS`
   days a transaction, figure by figure), and the nightly run (the last
   :data:`dispatch.reports.jobs.REFRESH_DAYS` days);
3. times ``GET /api/v1/reports/<figure>`` over the whole range, per day and per month, by every
   dimension (JSON), and per day by its last dimension as CSV, and the reports page, ``--repeat``
   times each, and prints p50 / p95 against the 200 ms target.

``--pages-only`` skips 1 and 2: it writes the daily rows such a range makes (the same shapes and
sizes, one duration sample per ticket per dimension, random values) and times 3 on them, so the
API can be measured at full size in a minute; ``--job-only`` skips 3.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from dispatch import migrate
from dispatch.access import SYSTEM, Role
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.reports import bench_data, jobs, service
from dispatch.reports.figures import all_figures
from dispatch.users import service as users

TZ = bench_data.TZ
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


def _lead(session: Session) -> None:
    users.create(
        session, actor=SYSTEM, email="lead@example.com", full_name="Lead", password=PASSWORD, role=Role.ADMIN
    )


def _fix_sequences(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("tickets", "orders", "plans", "plan_routes"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(text("ANALYZE"))


def _backfill(factory: Any, first: date, last: date) -> tuple[int, dict[str, float]]:
    """The job's backfill of the range (a month a transaction), timed figure by figure."""
    rows, spent = 0, defaultdict[str, float](float)
    every = service.days(first, last)
    for start in range(0, len(every), jobs.CHUNK_DAYS):
        chunk = every[start : start + jobs.CHUNK_DAYS]
        with factory() as session:
            rows += service.build_days(session, chunk[0], chunk[-1], time_zone=TZ, spent=spent)
            began = time.perf_counter()
            session.commit()
            spent["(commit)"] += time.perf_counter() - began
    return rows, spent


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


def _answer_times(
    url: str, first: date, last: date, repeat: int
) -> list[tuple[str, float, float, float, int]]:
    from api import create_app
    from dispatch.cli import settle_heap

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
    settle_heap()  # as `dispatch serve` and wsgi.py do once the app is made
    client = app.test_client()
    login: dict[str, Any] = (
        client.post("/api/v1/auth/login", json={"email": "lead@example.com", "password": PASSWORD}).json or {}
    )
    token = login["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    results = []

    def timed(name: str, path: str) -> None:
        samples, cpu, points = [], [], 0
        for _n in range(repeat):
            began, used = time.perf_counter(), time.process_time()
            answer = client.get(path, headers=headers)
            body = answer.get_data()
            samples.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - used) * 1000)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            if answer.mimetype == "application/json":
                points = len((answer.json or {})["points"])
            elif answer.mimetype == "text/csv":
                points = body.count(b"\n") - 1
        p50, p95 = _ms(samples)
        results.append((name, p50, p95, statistics.median(cpu), points))

    for figure in all_figures():
        for group in figure.dimensions:
            for every in ("day", "month"):
                path = f"/api/v1/reports/{figure.name}?from={first}&to={last}&group={group}&every={every}"
                timed(f"{figure.name} by {group}, per {every}", path)
        widest = figure.dimensions[-1]
        path = f"/api/v1/reports/{figure.name}?from={first}&to={last}&group={widest}&every=day&format=csv"
        timed(f"{figure.name} by {widest}, per day, CSV", path)
    timed("the reports page (/reports)", "/reports")
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
@click.option("--job-only", is_flag=True, help="generate the data and time the job, not the API")
def main(
    database_url: str | None,
    tickets: int,
    visits: int,
    days: int,
    repeat: int,
    quick: bool,
    seed: int,
    pages_only: bool,
    job_only: bool,
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
                written = bench_data.daily_rows(
                    session, tickets=tickets, visits=visits, first=first, days=days, seed=seed
                )
                _lead(session)
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
            bench_data.generate(session, tickets=tickets, visits=visits, first=first, days=days, seed=seed)
            _lead(session)
            session.commit()
        _fix_sequences(engine)
        click.echo(
            f"{engine.dialect.name}: {tickets:,} tickets, {visits:,} visits over {days} days "
            f"generated in {time.perf_counter() - began:.1f} s"
        )
        rows, spent = _backfill(factory, first, last)
        backfill = sum(spent.values())
        began = time.perf_counter()
        with factory() as session:
            service.build_days(session, last - timedelta(days=jobs.REFRESH_DAYS - 1), last, time_zone=TZ)
            session.commit()
        nightly = time.perf_counter() - began
        with factory() as session:
            stored = session.scalar(select(text("count(*)")).select_from(text("report_daily")))
        click.echo(
            f"aggregate job: {days} days in {backfill:.1f} s ({backfill / days * 1000:.0f} ms a day, "
            f"{jobs.CHUNK_DAYS} days a transaction, {rows:,} rows written, {stored:,} kept); "
            f"nightly run ({jobs.REFRESH_DAYS} days): {nightly:.1f} s"
        )
        click.echo(
            "  by figure: "
            + ", ".join(f"{name} {s:.1f} s" for name, s in sorted(spent.items(), key=lambda kv: -kv[1]))
        )
        engine.dispose()
        if not job_only:
            _print_answers(_answer_times(url, first, last, repeat))


def _print_answers(results: list[tuple[str, float, float, float, int]]) -> None:
    """p50 and p95 of the answer's wall time, and the median of the app's own CPU time (the database
    server's work on PostgreSQL not included): on a shared machine the wall time includes waiting."""
    click.echo(f"\n{'GET /api/v1/reports/...':<46} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'points':>7}")
    for name, p50, p95, cpu, points in results:
        flag = "" if p95 < TARGET_MS else f"  over {TARGET_MS:.0f} ms"
        click.echo(f"{name:<46} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {points:7d}{flag}")
    worst = max(r[2] for r in results)
    under = sum(1 for r in results if r[2] < TARGET_MS)
    click.echo(
        f"\nworst p95 {worst:.1f} ms; {under} of {len(results)} under {TARGET_MS:.0f} ms; "
        f"median p50 {statistics.median(r[1] for r in results):.1f} ms; worst CPU {max(r[3] for r in results):.1f} ms"
    )


if __name__ == "__main__":
    main()
