"""Benchmark: engineers reading their day alone, and during a flood of wrong logins from many addresses.

    python -m api.bench_login                         # SQLite in a temporary folder
    python -m api.bench_login --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0          # PostgreSQL, limits counted in Redis

It seeds one engineer with 200 dispatched jobs and serves the app as ``dispatch serve`` does
(gunicorn, 2 workers x 4 threads, real argon2 hashing). Engineers (``--readers`` phones on
keep-alive connections) each read their day (``GET /api/v1/orders?page_size=20``) at a steady rate
for ``--seconds``: first alone, then while ``--flooders`` clients send wrong logins as fast as they
can, each from a new loopback address (127.0.1.1 to 127.0.1.250) and for a random account; then
the flood again with the rate limits switched off (``DISPATCH_RATE_LIMITS_ENABLED=false``), for
comparison. It prints reads per second, latency and the ratio of each flood phase to the reads alone.
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.bench_sync import PASSWORD, REPO, free_port, seed
from dispatch.db import scratch_schema

ADDRESSES = [f"127.0.1.{i}" for i in range(1, 251)]


@dataclass
class Phase:
    """What the readers (and the flood) saw in one phase."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    read_errors: int = 0
    flood: Counter[int] = field(default_factory=Counter)

    @property
    def reads_per_s(self) -> float:
        """Reads answered 200 per second."""
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        """Read latency at quantile ``q``, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not come up")


def _login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"email": "bench.engineer@example.com", "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"login failed: {response.status} {data[:200]!r}")
    token: str = json.loads(data)["access_token"]
    return token


def _reader(
    port: int, token: str, rate: float, stop: threading.Event, phase: Phase, lock: threading.Lock
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    interval = 1.0 / rate
    next_at = time.monotonic() + random.random() * interval
    while not stop.is_set():
        pause = next_at - time.monotonic()
        if pause > 0 and stop.wait(pause):
            return
        next_at = max(next_at + interval, time.monotonic())
        started = time.perf_counter()
        try:
            conn.request("GET", "/api/v1/orders?page_size=20", headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        with lock:
            if ok:
                phase.latencies.append(time.perf_counter() - started)
            else:
                phase.read_errors += 1


def _flooder(
    port: int, stop: threading.Event, phase: Phase, lock: threading.Lock, rng: random.Random
) -> None:
    while not stop.is_set():
        address = rng.choice(ADDRESSES)
        email = rng.choice(["bench.engineer@example.com", f"user{rng.randrange(10**6)}@example.com"])
        body = json.dumps({"email": email, "password": f"guess-{rng.randrange(10**9)}"})
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
            conn.request(
                "POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
        except (OSError, http.client.HTTPException):
            status = 0
        with lock:
            phase.flood[status] += 1


def _flood(port: int, flooders: int, seconds: float, results: Any) -> None:
    """The flood, in a process of its own at low CPU priority: on this one machine the attacker's
    clients would otherwise take the server's cores (a real attacker's machines are elsewhere)."""
    os.nice(10)
    phase, stop, lock = Phase("flood", seconds), threading.Event(), threading.Lock()
    threads = [
        threading.Thread(target=_flooder, args=(port, stop, phase, lock, random.Random(i)))
        for i in range(flooders)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    results.put(dict(phase.flood))


def run_phase(name: str, port: int, token: str, args: argparse.Namespace, *, flood: bool) -> Phase:
    """Readers for ``args.seconds`` (with the flood running too when ``flood``)."""
    phase = Phase(name, args.seconds)
    stop, lock = threading.Event(), threading.Lock()
    threads = [
        threading.Thread(target=_reader, args=(port, token, args.rate / args.readers, stop, phase, lock))
        for _ in range(args.readers)
    ]
    results: Any = multiprocessing.Queue()
    flooding = multiprocessing.Process(target=_flood, args=(port, args.flooders, args.seconds + 1, results))
    if flood:
        flooding.start()
        time.sleep(1)  # the flood is under way before the readers are measured
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if flood:
        phase.flood.update(results.get(timeout=120))
        flooding.join(timeout=60)
    return phase


def main(argv: list[str] | None = None) -> int:
    """Seed, serve, measure the three phases and print them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--redis-url", default="", help="count the limits in this Redis (as production does)")
    parser.add_argument("--readers", type=int, default=8, help="engineers' phones reading")
    parser.add_argument("--rate", type=float, default=40.0, help="reads per second they ask for, in all")
    parser.add_argument("--flooders", type=int, default=32, help="clients sending wrong logins")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-login-"))
    try:
        if args.database_url.startswith("postgresql"):
            with scratch_schema(args.database_url, "bench") as url:
                return _run(args, folder, url)
        return _run(args, folder, args.database_url or f"sqlite:///{folder / 'bench.db'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, folder: Path, url: str) -> int:
    print("seeding one engineer with 200 jobs ...", flush=True)
    seed(url, 200)
    env = {
        **os.environ,
        "DISPATCH_ENV": "development",
        "DISPATCH_SECRET_KEY": secrets.token_urlsafe(48),
        "DISPATCH_DATABASE_URL": url,
        "DISPATCH_INSTANCE_PATH": str(folder),
        "DISPATCH_REDIS_URL": args.redis_url,
        "DISPATCH_QUEUE_PREFIX": f"bench-{secrets.token_hex(4)}:",
    }
    phases = []
    plans = [
        ("true", [("reads alone", False), ("reads during the flood", True)]),
        ("false", [("reads during the flood, limits off", True)]),
    ]
    for enabled, plan in plans:
        port = free_port()
        server = _serve({**env, "DISPATCH_RATE_LIMITS_ENABLED": enabled}, port)
        try:
            token = _login(port)
            for name, flood in plan:
                print(f"{name} ({args.seconds:g} s) ...", flush=True)
                phases.append(run_phase(name, port, token, args, flood=flood))
        finally:
            server.terminate()
            server.wait(timeout=30)
    alone = phases[0]
    print()
    print(
        f"gunicorn 2 workers x 4 threads ({os.cpu_count()} cores), database {url.split('://')[0]}, "
        f"limits in {'Redis' if args.redis_url else 'memory'}; {args.readers} phones asking "
        f"{args.rate:g} reads/s in all, {args.flooders} flooders from {len(ADDRESSES)} addresses"
    )
    print("| phase | reads/s | p50 ms | p95 ms | read errors | ratio to alone | flood answers |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for phase in phases:
        answers = ", ".join(f"{n} x {code or 'error'}" for code, n in sorted(phase.flood.items())) or "-"
        logins = sum(phase.flood.values()) / (phase.seconds + 1)
        flood_text = f"{logins:.0f} logins/s: {answers}" if phase.flood else "-"
        print(
            f"| {phase.name} | {phase.reads_per_s:.1f} | {phase.percentile(0.5):.0f} | "
            f"{phase.percentile(0.95):.0f} | {phase.read_errors} | "
            f"{phase.reads_per_s / alone.reads_per_s:.2f} | {flood_text} |"
        )
    median = statistics.median(alone.latencies) if alone.latencies else 0
    print(f"(median read alone {1000 * median:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
