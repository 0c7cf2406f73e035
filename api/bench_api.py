"""API speed benchmark: the busiest endpoints on the real stack beside a Flask hello-world.

    make bench-api                                  # or: python -m api.bench_api
    python -m api.bench_api --quick                 # shorter phases, a quicker plan
    python -m api.bench_api --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0 --connections 32 --seconds 10

It makes a PostgreSQL schema of its own (dropped at the end), loads the demo city with 500 orders,
plans the day with the optimizer and publishes it (every planned visit dispatched to its engineer),
then serves the app as ``dispatch serve --workers N`` does (same gunicorn settings, Redis as the
queue) and, with the same settings, a minimal Flask hello-world: the baseline, measured in the
same run. Each endpoint is loaded for ``--seconds`` by ``--connections`` keep-alive connections
(wrk when it is on PATH, else a Python load generator of a few processes of threads) and the
table gives requests per second, p50 and p99 latency and the share of the baseline's requests
per second. Bookings come last (they change the day) and count successful bookings (201).
The workers' memory (VmRSS) is printed before the first phase and after the last;
``--memory-minutes 10`` then loads every endpoint at once for ten minutes and prints each
worker's memory every 30 s, and the errors (5xx answers and broken connections).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TZ = "Europe/London"
LOGINS = {
    "agent": ("agent@example.com", "demo-agent-1"),
    "dispatcher": ("dispatcher@example.com", "demo-dispatch-1"),
    "engineer": ("engineer@example.com", "demo-engineer-1"),
    "customer": ("customer@example.com", "demo-customer-1"),
}
ENGINEER_DAY = (
    "/api/v1/orders?status=dispatched,accepted,en_route,on_site&sort=scheduled_start,sequence&page_size=100"
)
"""The engineer's app's first query when it opens (mobile_pwa/store.js ``pull``)."""

Call = tuple[str, str, str, dict[str, str]]
"""method, path, body, headers"""


@dataclass
class Load:
    """What one phase sent and got back."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok_rate(self) -> float:
        ok = sum(n for s, n in self.statuses.items() if 200 <= s < 300)
        return ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- the city ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    """What the phases draw from."""

    day: date
    planned: int
    site_ids: list[int]
    customer_site_ids: list[int]
    service_type_ids: list[int]
    time_zone: str = TZ


def build(url: str, *, orders: int, plan_seconds: float, seed: int, city: str = "manchester") -> City:
    """Load the demo city, plan its day and publish it (the planned visits dispatched)."""
    from sqlalchemy import select

    from dispatch.access import SYSTEM
    from dispatch.booking.bench import build_city
    from dispatch.db import make_engine, make_session_factory
    from dispatch.orders import actions
    from dispatch.orders.models import Order, OrderStatus
    from dispatch.sites.models import Site
    from dispatch.users.models import User

    engine = make_engine(url)
    built = build_city(engine, orders=orders, plan_seconds=plan_seconds, seed=seed, city=city)
    with make_session_factory(engine)() as session:
        for order_id in session.scalars(select(Order.id).where(Order.status == OrderStatus.SCHEDULED)):
            actions.dispatch(session, actor=SYSTEM, order_id=order_id, expected_version=None)
        session.commit()
        customer_id = session.scalar(select(User.customer_id).where(User.email == LOGINS["customer"][0]))
        mine = list(session.scalars(select(Site.id).where(Site.customer_id == customer_id)))
    engine.dispose()
    return City(built.day, built.planned, built.site_ids, mine, built.service_type_ids, built.time_zone)


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve_hello(port: int, workers: int) -> None:
    """The baseline: a Flask hello-world on the gunicorn settings of `dispatch serve`."""
    from dispatch.booking.hello import app
    from dispatch.cli import gunicorn_options, run_gunicorn

    run_gunicorn(app, gunicorn_options("127.0.0.1", port, workers=workers))


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[int]:
    """Run a server process until the block ends; yields its pid once ``probe`` answers."""
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", probe)
                if conn.getresponse().status < 500:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5) if process.poll() is not None else ("", "")
                raise SystemExit(f"server did not start: {' '.join(command)}\n{err[-2000:]}")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def workers_rss_mib(pid: int) -> list[float]:
    """VmRSS of each gunicorn worker (the master's children), MiB."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    out = []
    for child in children.read_text().split() if children.exists() else []:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sorted(out)


def call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """One JSON request; (status, decoded body or raw bytes)."""
    data = json.dumps(body) if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    raw = response.read()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw


def login(port: int, email: str, password: str) -> str:
    """An access token (waits out the login limit's 429s)."""
    for _ in range(50):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, body = call(conn, "POST", "/api/v1/auth/login", {"email": email, "password": password})
        conn.close()
        if status == 200:
            return str(body["access_token"])
        if status != 429:
            raise SystemExit(f"could not log in as {email}: {status} {str(body)[:200]}")
        time.sleep(1)
    raise SystemExit(f"could not log in as {email}: still limited")


# --- load generators --------------------------------------------------------------------------


def _python_worker(
    port: int, calls: list[Call], threads: int, seconds: float, seed: int, out: Any, idempotent: bool
) -> None:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        counts: dict[int, int] = {}
        failed = 0
        while time.perf_counter() < deadline:
            method, path, body, headers = calls[rng.randrange(len(calls))]
            if idempotent:
                headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - t0)
            counts[response.status] = counts.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for s, n in counts.items():
                statuses[s] = statuses.get(s, 0) + n
            errors[0] += failed

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((latencies, statuses, errors[0]))


def python_load(
    name: str, port: int, calls: list[Call], *, connections: int, seconds: float, idempotent: bool = False
) -> Load:
    """``connections`` keep-alive connections over a few processes (one GIL would be the bottleneck)."""
    processes = max(1, min(4, connections // 8))
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    jobs = [
        context.Process(target=_python_worker, args=(port, calls, n, seconds, i, out, idempotent))
        for i, n in enumerate(shares)
    ]
    for job in jobs:
        job.start()
    load = Load(name, 0.0)
    for _ in jobs:
        latencies, statuses, errors = out.get()
        load.latencies.extend(latencies)
        for s, n in statuses.items():
            load.statuses[s] = load.statuses.get(s, 0) + n
        load.errors += errors
    for job in jobs:
        job.join()
    load.seconds = seconds  # every thread sends until the same deadline
    return load


WRK_SCRIPT = r"""
local calls = %(calls)s
local idempotent = %(idempotent)s
local threads = {}
local counter = 0
local id = 0
statuses = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local c = calls[math.random(#calls)]
  local headers = c[4]
  if idempotent then
    headers["Idempotency-Key"] = "bench-" .. id .. "-" .. counter .. "-" .. math.random(1000000000)
  end
  return wrk.format(c[1], c[2], headers, c[3])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%%s": %%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d, "statuses": {%%s}}\n',
    summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return json.dumps(value)  # a JSON string is a valid Lua string literal for these ASCII values


def wrk_load(
    name: str, port: int, calls: list[Call], *, connections: int, seconds: float, idempotent: bool = False
) -> Load:
    """Load with wrk (2 threads), statuses counted by a Lua script; latency percentiles from wrk."""
    folder = Path(tempfile.mkdtemp(prefix="bench-api-wrk-"))
    try:
        script = folder / "calls.lua"
        script.write_text(
            WRK_SCRIPT % {"calls": _lua(calls), "idempotent": "true" if idempotent else "false"}
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    data = json.loads(line[len("BENCH ") :])
    load = Load(name, data["duration_us"] / 1e6, errors=data["errors"])
    load.statuses = {int(k): v for k, v in data["statuses"].items()}
    load.p50 = data["p50_us"] / 1e6  # type: ignore[attr-defined]
    load.p99 = data["p99_us"] / 1e6  # type: ignore[attr-defined]
    return load


def p(load: Load, q: float) -> float:
    """A latency quantile (wrk gives p50 and p99 itself)."""
    given = getattr(load, {0.5: "p50", 0.99: "p99"}.get(q, "-"), None)
    return float(given) if given is not None else load.percentile(q)


# --- the phases -------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def phases(city: City, tokens: dict[str, str], seed: int) -> list[tuple[str, list[Call], bool]]:
    """(name, calls to draw from, idempotent) for each endpoint of the table, bookings last."""
    from dispatch.booking.slots import Policy, candidate_windows

    rng = random.Random(seed)
    windows = candidate_windows(city.day, time_zone=city.time_zone, policy=Policy(), now=datetime.now(UTC))
    slots = [
        (
            "GET",
            f"/api/v1/slots?service_type_id={t}&site_id={s}&day={city.day.isoformat()}",
            "",
            bearer(tokens["customer"]),
        )
        for t in city.service_type_ids
        for s in city.customer_site_ids
    ]
    bookings = []
    for _ in range(2000):
        start, end = rng.choice(windows)
        body = {
            "service_type_id": rng.choice(city.service_type_ids),
            "site_id": rng.choice(city.site_ids),
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        }
        bookings.append(("POST", "/api/v1/bookings", json.dumps(body), bearer(tokens["agent"])))
    return [
        ("GET /healthz", [("GET", "/healthz", "", {})], False),
        (
            "GET an engineer's day (as the app asks)",
            [("GET", ENGINEER_DAY, "", bearer(tokens["engineer"]))],
            False,
        ),
        (
            "GET /api/v1/orders?page_size=50 (dispatcher)",
            [
                ("GET", f"/api/v1/orders?page_size=50&page={n}", "", bearer(tokens["dispatcher"]))
                for n in range(1, 11)
            ],
            False,
        ),
        ("GET /api/v1/slots (customer)", slots, False),
        ("POST /api/v1/bookings (agent)", bookings, True),
    ]


def load_avg() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    """Build, serve, load each endpoint and the baseline, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DISPATCH_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server (a schema of its own is made and dropped)",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("DISPATCH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--orders", type=int, default=500, help="orders of the demo day")
    parser.add_argument("--plan-seconds", type=float, default=10.0, help="optimizer time for the day's plan")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint and a 3 s plan")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator even if wrk is here"
    )
    parser.add_argument(
        "--memory-minutes",
        type=float,
        default=0.0,
        help="after the table, load every endpoint at once for this long, printing each worker's "
        "memory every 30 s and the errors (5xx and broken connections) at the end",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--city", choices=("manchester", "shanghai"), default="manchester", help="demo city")
    parser.add_argument("--serve-hello", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_hello:
        serve_hello(args.serve_hello, args.workers)
        return 0
    if args.quick:
        args.seconds, args.plan_seconds = min(args.seconds, 3.0), min(args.plan_seconds, 3.0)
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("--database-url must be a postgresql+psycopg:// URL")

    from dispatch.db import scratch_schema

    use_wrk = shutil.which("wrk") is not None and not args.python_load
    run_load = wrk_load if use_wrk else python_load
    with scratch_schema(args.database_url, "benchapi") as url:
        t0 = time.perf_counter()
        print(
            f"loading the demo city {args.city} ({args.orders} orders), planning and publishing its day ...",
            flush=True,
        )
        city = build(url, orders=args.orders, plan_seconds=args.plan_seconds, seed=args.seed, city=args.city)
        print(f"  {city.planned} visits planned on {city.day} ({time.perf_counter() - t0:.0f} s)", flush=True)
        instance = tempfile.mkdtemp(prefix="bench-api-")
        env = {
            **os.environ,
            "DISPATCH_ENV": "development",
            "DISPATCH_SECRET_KEY": secrets.token_urlsafe(48),
            "DISPATCH_DATABASE_URL": url,
            "DISPATCH_REDIS_URL": args.redis_url,
            "DISPATCH_QUEUE_PREFIX": f"benchapi-{uuid.uuid4().hex[:8]}:",
            "DISPATCH_INSTANCE_PATH": instance,
        }
        results: list[Load] = []
        memory: Load | None = None
        try:
            port = free_port()
            serve = [
                str(Path(sys.executable).parent / "dispatch"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ]
            with server(serve, env, port, "/healthz") as pid:
                tokens = {role: login(port, *creds) for role, creds in LOGINS.items()}
                plan = phases(city, tokens, args.seed)
                for _, calls, idem in plan[:-1]:  # warm each worker's caches and connections
                    run_load("warm-up", port, calls, connections=4, seconds=1.0, idempotent=idem)
                before = workers_rss_mib(pid)
                for name, calls, idem in plan:
                    print(f"  {name} ...", flush=True)
                    results.append(
                        run_load(
                            name,
                            port,
                            calls,
                            connections=args.connections,
                            seconds=args.seconds,
                            idempotent=idem,
                        )
                    )
                after = workers_rss_mib(pid)
                if args.memory_minutes > 0:
                    memory = memory_run(port, pid, plan, run_load, args.connections, args.memory_minutes)
            port = free_port()
            hello = [
                sys.executable,
                "-m",
                "api.bench_api",
                "--serve-hello",
                str(port),
                "--workers",
                str(args.workers),
            ]
            with server(hello, env, port, "/"):
                run_load("warm-up", port, [("GET", "/", "", {})], connections=4, seconds=1.0)
                print("  baseline: Flask hello-world ...", flush=True)
                base = run_load(
                    "GET / (Flask hello-world, the baseline)",
                    port,
                    [("GET", "/", "", {})],
                    connections=args.connections,
                    seconds=args.seconds,
                )
        finally:
            shutil.rmtree(instance, ignore_errors=True)
    print()
    print(
        f"PostgreSQL, Redis; gunicorn as `dispatch serve --workers {args.workers}` (4 threads each); "
        f"{args.connections} connections, {args.seconds:.0f} s per endpoint, "
        f"load generator: {'wrk' if use_wrk else 'Python'}; load average {load_avg()}"
    )
    print("| endpoint | req/s | p50 | p99 | share of hello-world | statuses |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in [*results, base]:
        rate = r.ok_rate if r.name.startswith("POST") else r.rate
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()))
        if r.errors:
            statuses += f", connection errors: {r.errors}"
        print(
            f"| {r.name} | {rate:,.1f} | {p(r, 0.5) * 1000:.1f} ms | {p(r, 0.99) * 1000:.1f} ms "
            f"| {rate / base.rate:.1%} | {statuses} |"
        )
    print("(bookings: successful bookings (201) a second)")
    print(f"workers' memory (VmRSS): before {_mib(before)}, after {_mib(after)}")
    runs = [*results, base] + ([memory] if memory is not None else [])
    if memory is not None:
        print(f"memory run: {memory.name}, {memory.rate:,.1f} req/s, errors: {_errors(memory)}")
    failed = sum(_errors(r) for r in runs)
    return 1 if failed else 0


def _errors(load: Load) -> int:
    """Broken connections and 5xx answers."""
    return load.errors + sum(n for s, n in load.statuses.items() if s >= 500)


def memory_run(
    port: int,
    pid: int,
    plan: list[tuple[str, list[Call], bool]],
    run_load: Any,
    connections: int,
    minutes: float,
) -> Load:
    """Every endpoint of the table at once (bookings included) for ``minutes``; RSS every 30 s."""
    calls = [c for _, cs, _ in plan for c in cs[:50]]  # each endpoint about equally often
    total = Load(f"{minutes:g} min of every endpoint at once, {connections} connections", 0.0)
    start = workers_rss_mib(pid)
    print(f"  memory run: {minutes:g} min; workers' memory (VmRSS) at start: {_mib(start)}", flush=True)
    deadline = time.monotonic() + minutes * 60
    while (left := deadline - time.monotonic()) >= 1:
        chunk = run_load(
            "memory", port, calls, connections=connections, seconds=min(30.0, left), idempotent=True
        )
        total.seconds += chunk.seconds
        total.errors += chunk.errors
        for status, n in chunk.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
        elapsed = minutes * 60 - (deadline - time.monotonic())
        print(
            f"    {elapsed / 60:4.1f} min: {_mib(workers_rss_mib(pid))}; {chunk.rate:,.0f} req/s, "
            f"errors so far: {_errors(total)}",
            flush=True,
        )
    print(f"  workers' memory (VmRSS) at start: {_mib(start)}, at end: {_mib(workers_rss_mib(pid))}")
    return total


def _mib(values: list[float]) -> str:
    return ", ".join(f"{v:.0f} MiB" for v in values) or "-"


if __name__ == "__main__":
    raise SystemExit(main())
