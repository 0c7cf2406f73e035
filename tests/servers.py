"""Real HTTP servers on loopback for tests that need a socket: Werkzeug's in a thread, and
``dispatch serve`` (gunicorn) as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

from tests.conftest import TEST_SECRET, repo_root


def free_port() -> int:
    """A TCP port nobody listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_listening(port: int, timeout_s: float = 30.0, process: Any = None) -> None:
    """Block until something accepts connections on the port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout_s} s")


@contextmanager
def werkzeug_server(app: Any) -> Iterator[int]:
    """Serve ``app`` with Werkzeug's development server (threaded) until the block ends; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        server.server_close()


def serve_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a ``dispatch`` command on the test database, plus DISPATCH_* settings."""
    env = {
        **os.environ,
        "DISPATCH_ENV": "test",
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_SECRET_KEY": TEST_SECRET,
    }
    env.pop("DISPATCH_REDIS_URL", None)
    env.update({f"DISPATCH_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def dispatch_serve(env: dict[str, str], workers: int = 1) -> Iterator[int]:
    """Run ``dispatch serve`` (gunicorn) with ``env`` until the block ends; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=repo_root(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, process=process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def raw_request(port: int, head: bytes, body_chunks: Iterable[bytes] = (), timeout_s: float = 30) -> bytes:
    """Send a request byte for byte (the server may stop reading part-way) and return all it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
                if b"\r\n\r\n" in answer and _complete(answer):
                    break
        except ConnectionResetError:
            pass
        return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk, that the test can
    stop (an outage, its queued jobs lost) and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_listening(self.port, process=self.process)

    def stop(self) -> None:
        """Kill it (as a crash would) if it runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
