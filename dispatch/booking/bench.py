"""Booking benchmark: slot-query latency on a planned day, booking throughput on gunicorn + PostgreSQL.

``python -m dispatch.booking.bench`` (see ``--help``):

(a) loads the demo city with 500 orders into a scratch database, plans the day with the optimizer,
    puts every planned visit on its engineer's route, and times the slot query for random places
    and service types (p50 / p95 / max);
(b) with a PostgreSQL URL, serves the app with gunicorn on that database (a scratch schema, dropped
    afterwards) and a Flask hello-world with the same gunicorn settings, sends the same number of
    concurrent requests to each (bookings of random customers' sites in random windows of the
    planned day; ``GET /`` for hello-world) and prints requests per second and their ratio.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, select

import optimizer
from dispatch import migrate
from dispatch.access import SYSTEM
from dispatch.booking.slots import Policy, candidate_windows, check
from dispatch.catalog.models import ServiceType
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.demo import cities
from dispatch.demo.loader import demo_day, load
from dispatch.orders import actions
from dispatch.planning.problem import load_day, row_id
from dispatch.sites.models import Site

TZ = "Europe/London"
AGENT = ("agent@example.com", "demo-agent-1")  # the demo's public agent login


@dataclass(frozen=True)
class City:
    """What the benchmark booked into: the day, the sites and service types to draw from."""

    day: date
    planned: int
    site_ids: list[int]
    service_type_ids: list[int]
    time_zone: str = TZ


def build_city(
    engine: Engine, *, orders: int, plan_seconds: float, seed: int, city: str | None = None
) -> City:
    """Migrate, load the demo city (Manchester, or ``city``) and put the optimizer's plan of the day
    on the engineers' routes."""
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    where = cities.get(city)
    day = demo_day(where.key)
    with sessions() as session:
        load(session, orders_count=orders, seed=seed, day=day, city_name=where.key)
        session.commit()
    with sessions() as session:
        loaded = load_day(session, day=day, time_zone=where.time_zone)
        plan = optimizer.solve(loaded.problem, time_limit_s=plan_seconds, seed=seed)
        planned = 0
        for route in plan.routes:
            for sequence, stop in enumerate(route.stops):
                actions.assign(
                    session,
                    actor=SYSTEM,
                    order_id=row_id(stop.visit_id),
                    expected_version=None,
                    engineer_id=row_id(route.engineer_id),
                    scheduled_start=loaded.at(stop.start),
                    sequence=sequence,
                )
                planned += 1
        session.commit()
        site_ids = list(session.scalars(select(Site.id)))
        type_ids = list(session.scalars(select(ServiceType.id)))
    return City(
        day=day, planned=planned, site_ids=site_ids, service_type_ids=type_ids, time_zone=where.time_zone
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def time_slot_queries(engine: Engine, city: City, *, queries: int, seed: int, cached: bool) -> list[float]:
    """Seconds per slot query (service call, one session each) for random places and service types.

    ``cached=False`` times the day afresh every time (what a booking does under its lock, and a
    slot query after any change to the day); ``cached=True`` is a slot query on an unchanged day.
    """
    rng = random.Random(seed)
    sessions = make_session_factory(engine)
    policy = Policy()
    now = datetime.now(UTC)
    timings = []
    with sessions() as session:
        sites = {s.id: s for s in session.scalars(select(Site))}
        types = {t.id: t for t in session.scalars(select(ServiceType))}
    for _ in range(queries):
        site = sites[rng.choice(city.site_ids)]
        stype = types[rng.choice(city.service_type_ids)]
        with sessions() as session:
            t0 = time.perf_counter()
            check(
                session,
                service_type=session.merge(stype, load=False),
                latitude=site.latitude + rng.uniform(-0.01, 0.01),
                longitude=site.longitude + rng.uniform(-0.01, 0.01),
                day=city.day,
                time_zone=city.time_zone,
                policy=policy,
                now=now,
                cached=cached,
            )
            timings.append(time.perf_counter() - t0)
    return timings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def gunicorn(target: str, env: dict[str, str], *, workers: int, threads: int) -> Iterator[int]:
    """Run ``gunicorn target`` on a free loopback port until the block ends; yields the port."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        target,
    ]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise click.ClickException(f"gunicorn did not start: {' '.join(command)}") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


Request = Callable[[http.client.HTTPConnection, random.Random], int]


def drive(
    port: int, make: Request, *, total: int, concurrency: int, seed: int
) -> tuple[float, dict[int, int]]:
    """Send ``total`` requests from ``concurrency`` keep-alive clients; (requests/s, count by status)."""
    counts: dict[int, int] = {}
    lock = threading.Lock()
    left = [total]

    def client(i: int) -> None:
        rng = random.Random(seed + i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            status = make(conn, rng)
            with lock:
                counts[status] = counts.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - t0), counts


def _call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def _booking_request(city: City, token: str) -> Request:
    windows = candidate_windows(city.day, time_zone=city.time_zone, policy=Policy(), now=datetime.now(UTC))

    def book(conn: http.client.HTTPConnection, rng: random.Random) -> int:
        start, end = rng.choice(windows)
        body = {
            "service_type_id": rng.choice(city.service_type_ids),
            "site_id": rng.choice(city.site_ids),
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        }
        status, _ = _call(conn, "POST", "/api/v1/bookings", body, token)
        return int(status)

    return book


def _hello_request(conn: http.client.HTTPConnection, _rng: random.Random) -> int:
    status, _ = _call(conn, "GET", "/")
    return int(status)


def _report_slots(timings: list[float], city: City, what: str) -> None:
    ms = [t * 1000 for t in timings]
    click.echo(
        f"slot query ({what}), {city.planned} planned visits, {len(ms)} queries: "
        f"p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms"
    )


def http_benchmark(
    postgres_url: str,
    *,
    orders: int,
    plan_seconds: float,
    seed: int,
    total: int,
    concurrency: int,
    workers: int,
    city: str | None = None,
) -> None:
    """Bookings per second on gunicorn + PostgreSQL against a hello-world on the same settings."""
    with scratch_schema(postgres_url, "bench") as url:
        engine = make_engine(url)
        built = build_city(engine, orders=orders, plan_seconds=plan_seconds, seed=seed, city=city)
        engine.dispose()
        env = {
            "PATH": "/usr/bin:/bin",
            "DISPATCH_ENV": "development",
            "DISPATCH_DATABASE_URL": url,
            "DISPATCH_SECRET_KEY": secrets.token_urlsafe(48),
            "DISPATCH_INSTANCE_PATH": tempfile.mkdtemp(prefix="dispatch-bench-"),
        }
        threads = 4
        with gunicorn("api.app:create_app()", env, workers=workers, threads=threads) as port:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status, data = _call(
                conn, "POST", "/api/v1/auth/login", {"email": AGENT[0], "password": AGENT[1]}
            )
            if status != 200:
                raise click.ClickException(f"could not log in as the demo agent: {status} {data[:200]!r}")
            token = json.loads(data)["access_token"]
            conn.close()
            booked_rps, booked = drive(
                port, _booking_request(built, token), total=total, concurrency=concurrency, seed=seed
            )
        with gunicorn("dispatch.booking.hello:app", env, workers=workers, threads=threads) as port:
            hello_rps, hello = drive(port, _hello_request, total=total, concurrency=concurrency, seed=seed)
    click.echo(
        f"gunicorn --workers {workers} --threads {threads}, {concurrency} concurrent clients, {total} requests each:"
    )
    click.echo(
        f"  POST /api/v1/bookings (PostgreSQL): {booked_rps:8.1f} req/s  statuses {dict(sorted(booked.items()))}"
    )
    click.echo(
        f"  GET / Flask hello-world:            {hello_rps:8.1f} req/s  statuses {dict(sorted(hello.items()))}"
    )
    click.echo(f"  ratio booking / hello-world:        {booked_rps / hello_rps:8.4f}")


@click.command()
@click.option("--orders", default=500, show_default=True, help="visits in the demo city's day")
@click.option("--plan-seconds", default=10.0, show_default=True, help="optimizer time for the day's plan")
@click.option("--queries", default=100, show_default=True, help="slot queries to time")
@click.option(
    "--postgres-url",
    envvar="DISPATCH_BENCH_DATABASE_URL",
    default="",
    help="PostgreSQL for the HTTP part (a scratch schema is made and dropped); without it that part is skipped",
)
@click.option(
    "--requests", "total", default=300, show_default=True, help="requests per server in the HTTP part"
)
@click.option("--concurrency", default=8, show_default=True, help="concurrent clients in the HTTP part")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--seed", default=7, show_default=True)
@click.option("--city", type=click.Choice(cities.NAMES), default="manchester", show_default=True)
def main(
    orders: int,
    plan_seconds: float,
    queries: int,
    postgres_url: str,
    total: int,
    concurrency: int,
    workers: int,
    seed: int,
    city: str,
) -> None:
    """Time slot queries on a planned day; compare booking throughput with a Flask hello-world."""
    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        t0 = time.perf_counter()
        built = build_city(engine, orders=orders, plan_seconds=plan_seconds, seed=seed, city=city)
        click.echo(
            f"demo city {city}: {orders} orders, {built.planned} planned on {built.day} "
            f"({time.perf_counter() - t0:.0f} s)"
        )
        for cached, what in ((False, "day timed afresh"), (True, "day unchanged, cached plan")):
            timings = time_slot_queries(engine, built, queries=queries, seed=seed, cached=cached)
            _report_slots(timings, built, what)
        engine.dispose()
    if not postgres_url:
        click.echo("HTTP part skipped: give --postgres-url (or DISPATCH_BENCH_DATABASE_URL) to run it")
        return
    if not postgres_url.startswith("postgresql"):
        raise click.ClickException("--postgres-url must be a postgresql+psycopg:// URL")
    http_benchmark(
        postgres_url,
        orders=orders,
        plan_seconds=plan_seconds,
        seed=seed,
        total=total,
        concurrency=concurrency,
        workers=workers,
        city=city,
    )


if __name__ == "__main__":
    main()
