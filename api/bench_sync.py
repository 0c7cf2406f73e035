"""Benchmark of the engineers' sync: replay 1,000 queued actions (200 of them ~300 KB photos).

    python -m api.bench_sync                      # SQLite in a temporary folder, gunicorn with 2 workers
    python -m api.bench_sync --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

It seeds one engineer with 200 dispatched jobs, starts the real app under gunicorn on loopback and,
like the PWA's outbox, sends each job's accept, start-travel, check-in (with GPS), photo upload and
complete in order, every write with its own Idempotency-Key and the If-Match of the last answer.
A baseline in the same run sends as many plain ``GET /orders/<id>``. It prints the time, actions per
second and the server's peak memory (VmHWM of gunicorn's processes).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from dispatch.db import make_engine, scratch_schema

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-engineer-password"


@dataclass
class Result:
    """One timed phase."""

    name: str
    requests: int
    seconds: float
    megabytes: float = 0.0


def noisy_jpeg(seed: int, width: int = 720, height: int = 540) -> bytes:
    """A photo-sized JPEG of noise (~300 KB; noise does not compress, like a real photo's detail)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(database_url: str, jobs: int) -> list[int]:
    """Migrate and fill the database: one engineer on shift now, ``jobs`` dispatched orders for them."""
    from dispatch import migrate
    from dispatch.access import SYSTEM, Role
    from dispatch.catalog import service as catalog
    from dispatch.customers import service as customers
    from dispatch.db import make_session_factory
    from dispatch.engineers import service as engineers
    from dispatch.orders import actions
    from dispatch.orders import service as orders
    from dispatch.shifts import service as shifts
    from dispatch.sites import service as sites
    from dispatch.users import service as users

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    session = make_session_factory(engine)()
    now = datetime.now(UTC)
    catalog.create_skill(session, actor=SYSTEM, code="gas", name="Gas safe")
    stype = catalog.create_type(
        session,
        actor=SYSTEM,
        code="boiler",
        name="Boiler service",
        default_duration_s=1800,
        skills=["gas"],
        min_photos=1,
    )
    customer = customers.create(session, actor=SYSTEM, name="Bench Customer", email="bench@example.com")
    site = sites.create(
        session,
        actor=SYSTEM,
        customer_id=customer.id,
        address="1 Bench Street, Manchester",
        latitude=53.48,
        longitude=-2.24,
        geocoder=None,
        default_time_zone="Europe/London",
    )
    engineer = engineers.create(
        session,
        actor=SYSTEM,
        name="Bench Engineer",
        skills=["gas"],
        home_latitude=53.48,
        home_longitude=-2.24,
    )
    shifts.create(
        session,
        actor=SYSTEM,
        engineer_id=engineer.id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=10),
        default_time_zone="Europe/London",
    )
    users.create(
        session,
        actor=SYSTEM,
        email="bench.engineer@example.com",
        full_name="Bench Engineer",
        password=PASSWORD,
        role=Role.ENGINEER,
        engineer_id=engineer.id,
    )
    ids = []
    start = now + timedelta(hours=1)
    for _ in range(jobs):
        order = orders.create(
            session,
            actor=SYSTEM,
            customer_id=customer.id,
            site_id=site.id,
            service_type_id=stype.id,
            time_windows=[orders.Window(start, start + timedelta(hours=8))],
        )
        order = actions.assign(
            session, actor=SYSTEM, order_id=order.id, expected_version=order.version, engineer_id=engineer.id
        )
        order = actions.dispatch(session, actor=SYSTEM, order_id=order.id, expected_version=order.version)
        ids.append(order.id)
    session.commit()
    session.close()
    engine.dispose()
    return ids


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Client:
    """A tiny HTTP client on one keep-alive connection (reopened when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = ""

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; returns status, headers and body."""
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return response.status, dict(response.getheaders()), data
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def peak_rss_kib(pid: int) -> tuple[int, int]:
    """(largest, total) VmHWM in KiB over gunicorn's master and its workers."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    peaks = []
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]))
    return max(peaks), sum(peaks)


def replay(client: Client, order_ids: list[int], photos: list[bytes]) -> tuple[Result, int]:
    """Send each job's five queued steps in order, as the PWA's outbox does; returns the phase and failures."""
    failures = 0
    sent = 0
    megabytes = 0.0
    started = time.perf_counter()
    for n, oid in enumerate(order_ids):
        version = 3  # created, assigned, dispatched
        photo_id = str(uuid.uuid4())
        steps: list[tuple[str, str, bytes, dict[str, str]]] = [
            ("POST", f"/api/v1/orders/{oid}/accept", b"{}", {}),
            ("POST", f"/api/v1/orders/{oid}/start-travel", b"{}", {}),
            (
                "POST",
                f"/api/v1/orders/{oid}/check-in",
                json.dumps({"latitude": 53.4801, "longitude": -2.2401, "accuracy_m": 10}).encode(),
                {},
            ),
            ("PUT", f"/api/v1/orders/{oid}/attachments/{photo_id}?kind=photo", photos[n % len(photos)], {}),
            (
                "POST",
                f"/api/v1/orders/{oid}/complete",
                json.dumps({"notes": "done", "attachment_ids": [photo_id]}).encode(),
                {},
            ),
        ]
        for method, path, body, extra in steps:
            headers = {"Idempotency-Key": str(uuid.uuid4()), **extra}
            if method == "PUT":
                headers["Content-Type"] = "image/jpeg"
                megabytes += len(body) / 1e6
            else:
                headers["Content-Type"] = "application/json"
                headers["If-Match"] = f'"v{version}"'
            status, response_headers, _ = client.call(method, path, body, **headers)
            sent += 1
            if status >= 300:
                failures += 1
            elif method == "POST":
                version = int(response_headers["ETag"].strip('"v'))
    return Result("replay of queued actions", sent, time.perf_counter() - started, megabytes), failures


def baseline(client: Client, order_ids: list[int], count: int) -> Result:
    """As many plain reads of one order as there were actions."""
    started = time.perf_counter()
    for i in range(count):
        client.call("GET", f"/api/v1/orders/{order_ids[i % len(order_ids)]}")
    return Result("baseline: GET /orders/<id>", count, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200, help="jobs; five actions each, one of them a photo")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file in a temporary folder")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        if args.database_url.startswith("postgresql"):  # a schema of its own, dropped at the end
            with scratch_schema(args.database_url, "bench") as url:
                return _run(args, folder, url)
        return _run(args, folder, args.database_url or f"sqlite:///{folder / 'bench.db'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, folder: Path, url: str) -> int:
    """Seed, serve, replay, measure and print."""
    print(f"seeding {args.jobs} jobs and {args.jobs} photos of ~300 KB ...", flush=True)
    order_ids = seed(url, args.jobs)
    photos = [noisy_jpeg(i) for i in range(args.jobs)]
    port = free_port()
    env = {
        **os.environ,
        "DISPATCH_ENV": "development",
        "DISPATCH_SECRET_KEY": secrets.token_urlsafe(48),
        "DISPATCH_DATABASE_URL": url,
        "DISPATCH_INSTANCE_PATH": str(folder),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        client = Client(port)
        for _ in range(100):
            try:
                if client.call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        status, _, body = client.call(
            "POST",
            "/api/v1/auth/login",
            json.dumps({"email": "bench.engineer@example.com", "password": PASSWORD}).encode(),
            **{"Content-Type": "application/json"},
        )
        assert status == 200, body
        client.token = json.loads(body)["access_token"]
        base = baseline(client, order_ids, args.jobs * 5)
        run, failures = replay(client, order_ids, photos)
        largest, total = peak_rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print()
    print(f"database: {url.split('?')[0].split('://')[0]}, gunicorn workers: {args.workers}")
    print("| phase | requests | seconds | per second | MB sent |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in (run, base):
        print(
            f"| {r.name} | {r.requests} | {r.seconds:.2f} | {r.requests / r.seconds:.0f} | {r.megabytes:.1f} |"
        )
    print(f"replay / baseline time: {run.seconds / base.seconds:.1f}x; failed actions: {failures}")
    print(
        f"server peak RSS (VmHWM): largest process {largest / 1024:.0f} MiB, all processes {total / 1024:.0f} MiB"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
