"""Benchmark: a demo-city day planned end to end through the queue, against the optimizer alone.

    python -m api.bench_plan --orders 200 400 1000 --time-limit 30
    python -m api.bench_plan --database-url postgresql+psycopg://... --redis-url redis://...

For each size: load the demo city into a fresh database, ``POST /api/v1/plans`` through the app,
wait until the routes are written, and report queue wait, reading the day, the search, writing
the routes and the whole trip; then solve the same problem with ``optimizer.solve`` directly for
the same time limit (the baseline, in the same run) and print the ratio. With ``--redis-url`` the
job runs on a ``dispatch worker`` process started for the purpose; otherwise on the in-process
worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import optimizer
from dispatch import migrate
from dispatch.db import make_engine, scratch_schema
from dispatch.demo import loader
from dispatch.planning.problem import load_day

SECRET = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex


def _migrated(url: str) -> str:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _json(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = response.get_json()
    return data


def run_size(orders: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Plan one demo day in a database of its own (a PostgreSQL schema dropped afterwards)."""
    if not args.database_url:
        return _run_size(orders, args, workdir, _migrated(f"sqlite:///{workdir / str(orders) / 'bench.db'}"))
    with scratch_schema(args.database_url, "bench") as url:
        return _run_size(orders, args, workdir, _migrated(url))


def _run_size(orders: int, args: argparse.Namespace, workdir: Path, url: str) -> dict[str, Any]:
    """Plan one demo day through the app and the queue, then solve it directly."""
    from api import create_app

    day = loader.next_working_day(datetime.now(ZoneInfo("Europe/London")).date())
    prefix = f"bench-{uuid.uuid4().hex[:8]}:" if args.redis_url else ""
    overrides = {
        "env": "test",
        "database_url": url,
        "secret_key": SECRET,
        "instance_path": str(workdir / str(orders)),
        "redis_url": args.redis_url or "",
        "queue_prefix": prefix,
    }
    app = create_app(overrides)
    session = app.extensions["dispatch.db"].sessions()
    loader.load(session, orders_count=orders, day=day)
    session.commit()
    session.close()
    client = app.test_client()
    token = _json(
        client.post(
            "/api/v1/auth/login", json={"email": "dispatcher@example.com", "password": "demo-dispatch-1"}
        )
    )["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    worker = None
    if args.redis_url:
        env = {
            **os.environ,
            "DISPATCH_ENV": "test",
            "DISPATCH_DATABASE_URL": url,
            "DISPATCH_REDIS_URL": args.redis_url,
            "DISPATCH_QUEUE_PREFIX": prefix,
            "DISPATCH_SECRET_KEY": SECRET,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "dispatch.cli", "worker", "--queue", "planning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        t0 = time.monotonic()
        asked = client.post(
            "/api/v1/plans", json={"day": day.isoformat(), "time_limit_s": args.time_limit}, headers=headers
        )
        if asked.status_code != 202:
            raise SystemExit(f"plan request refused: {asked.status_code} {asked.get_data(as_text=True)}")
        while True:
            plan = _json(client.get(asked.headers["Location"], headers=headers))
            if plan["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        total = time.monotonic() - t0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    if plan["status"] != "ready":
        raise SystemExit(f"plan ended {plan['status']}: {plan['message']}")

    def at(name: str) -> datetime:
        return datetime.fromisoformat(plan[name])

    solve_s = float(plan["totals"]["solve_seconds"])
    in_job = (at("finished_at") - at("started_at")).total_seconds()
    queue_wait = (at("started_at") - at("created_at")).total_seconds()

    session = app.extensions["dispatch.db"].sessions()
    dp = load_day(session, day=day, time_zone="Europe/London", options=optimizer.SolveOptions(workers=2))
    session.close()
    b0 = time.monotonic()
    direct = optimizer.solve(dp.problem, time_limit_s=args.time_limit)
    direct_s = time.monotonic() - b0
    app.extensions["dispatch.db"].engine.dispose()
    return {
        "orders": orders,
        "assigned": plan["totals"]["assigned"],
        "direct_assigned": direct.assigned,
        "queue_wait_s": queue_wait,
        "job_s": in_job,
        "solve_s": solve_s,
        "read_write_s": in_job - solve_s,
        "end_to_end_s": total,
        "direct_s": direct_s,
        "ratio": total / direct_s,
        "km": plan["totals"]["travel_distance_m"] / 1000,
        "direct_km": direct.travel_distance / 1000,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table row per size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--time-limit", type=int, default=30)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL (each size gets a schema, dropped after)"
    )
    parser.add_argument("--redis-url", default="", help="run the job on a dispatch worker over Redis")
    args = parser.parse_args(argv)
    where = ("PostgreSQL" if args.database_url else "SQLite") + (
        " + RQ worker" if args.redis_url else ", in-process"
    )
    print(f"demo-city plan through the queue ({where}), time limit {args.time_limit} s")
    print(
        "| orders | placed (queue / direct) | queue wait | read + write | search | end to end "
        "| optimizer alone | ratio | km (queue / direct) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.orders:
            workdir = Path(tmp)
            (workdir / str(n)).mkdir()
            r = run_size(n, args, workdir)
            print(
                f"| {r['orders']} | {r['assigned']} / {r['direct_assigned']} | {r['queue_wait_s']:.2f} s "
                f"| {r['read_write_s']:.2f} s | {r['solve_s']:.1f} s | {r['end_to_end_s']:.1f} s "
                f"| {r['direct_s']:.1f} s | {r['ratio']:.2f} | {r['km']:.1f} / {r['direct_km']:.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
