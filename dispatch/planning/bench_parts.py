"""Benchmark: a big day planned by regions with 1 and with 2 RQ workers, and the speedup.

``python -m dispatch.planning.bench_parts --redis-url redis://127.0.0.1:6379/0 [--visits 5000]``

The day is the seeded demo city at ``--visits`` orders. This process coordinates (and, as any
coordinating plan job does, solves regions itself); "2 workers" adds one ``dispatch worker``
process on the same Redis. Every region is searched for ``--part-time`` seconds whoever takes it,
then the whole day is stitched for ``--stitch-time`` seconds: with more workers the regions run
side by side, so the day is planned sooner for the same search per region.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from redis import Redis
from rq import Queue, Worker

from dispatch.planning import parts
from optimizer import SolveOptions
from optimizer.bench_city import city_problem
from optimizer.datasets.city import generate_city


def _worker(redis_url: str, prefix: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DISPATCH_REDIS_URL": redis_url,
        "DISPATCH_QUEUE_PREFIX": prefix,
        "DISPATCH_DATABASE_URL": "sqlite://",
        "DISPATCH_SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
    }
    command = [sys.executable, "-m", "dispatch.cli", "worker", "--queue", "planning"]
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    """Plan the day with 1 and 2 workers; print a Markdown table and the speedup."""
    ap = argparse.ArgumentParser(prog="python -m dispatch.planning.bench_parts", description=__doc__)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--visits", type=int, default=5000)
    ap.add_argument("--regions", type=int, default=4)
    ap.add_argument("--part-time", type=float, default=20.0, help="search seconds per region")
    ap.add_argument("--stitch-time", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    connection = Redis.from_url(args.redis_url)
    day = city_problem(generate_city(orders=args.visits, seed=args.seed), SolveOptions(workers=1))
    one, five, fifteen = os.getloadavg()
    print(
        f"`python -m dispatch.planning.bench_parts {' '.join(sys.argv[1:] if argv is None else argv)}`: "
        f"{len(day.visits)} visits, {len(day.engineers)} engineers, {args.regions} regions, "
        f"{args.part_time:g} s per region, {args.stitch_time:g} s stitch; "
        f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"
    )
    print()
    print(
        "| workers | regions here / elsewhere | queued again | regions s | stitch s | total s | placed | km |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals: dict[int, float] = {}
    for workers in (1, 2):
        prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        name = prefix + "planning"
        procs = [_worker(args.redis_url, prefix) for _ in range(workers - 1)]
        try:
            while len(Worker.all(queue=Queue(name, connection=connection))) < workers - 1:
                time.sleep(0.1)
            report = parts.PartRun()
            t0 = time.monotonic()
            plan = parts.solve_by_parts(
                day,
                part_time_s=args.part_time,
                stitch_time_s=args.stitch_time,
                connection=connection,
                queue_name=name,
                regions_count=args.regions,
                run_report=report,
            )
            total = time.monotonic() - t0
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        totals[workers] = total
        print(
            f"| {workers} | {report.solved_here} / {report.solved_elsewhere} | {report.requeued} | "
            f"{report.seconds_regions:.1f} | {report.seconds_stitch:.1f} | {total:.1f} | "
            f"{plan.assigned} of {len(day.visits)} | {plan.travel_distance / 1000:.1f} |",
            flush=True,
        )
    print()
    print(f"speedup with 2 workers: {totals[1] / totals[2]:.2f}x (same search time per region)")
    one, five, fifteen = os.getloadavg()
    print(f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
