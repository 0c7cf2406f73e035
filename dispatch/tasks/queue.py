"""Enqueue jobs on RQ (Redis) or on an in-process worker thread, through the same interface."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from dispatch.errors import DomainError
from dispatch.tasks import runtime

log = logging.getLogger(__name__)

# Queues are named for what they do, so workers can be scaled per purpose.
QUEUES = ("planning", "notifications", "maintenance", "desk", "sla", "reports")
DEFAULT_TIMEOUT_S = 600
REDIS_TIMEOUT_S = 2.0
"""How long a call to Redis may take before the queue is reported unavailable."""


class QueueUnavailable(DomainError):
    """The job queue cannot be reached, so nothing was queued (HTTP 503)."""

    status = 503


class JobQueue(Protocol):
    """Where jobs go."""

    def enqueue(
        self,
        func: Callable[..., Any],
        *args: Any,
        queue_name: str,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        job_id: str | None = None,
    ) -> str:
        """Queue ``func(*args)`` and return the job id."""
        ...

    def cancel(self, job_id: str) -> None:
        """Drop the job if it waits; stop it if it runs (jobs check their own state too)."""
        ...

    def ping(self) -> None:
        """Return if jobs can be queued now; raise :class:`QueueUnavailable` if not."""
        ...


class RQQueue:
    """Jobs on Redis, run by ``dispatch worker`` processes on any machine."""

    def __init__(self, redis_url: str, *, prefix: str = "") -> None:
        from redis import Redis

        # Short timeouts: a request that queues a job must not hang on a Redis that is gone.
        self.connection = Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
        )
        self.prefix = prefix

    def _unavailable(self, exc: Exception) -> QueueUnavailable:
        return QueueUnavailable(
            f"the job queue (Redis) cannot be reached: {type(exc).__name__}: {exc}",
            errors={"queue": [type(exc).__name__]},
        )

    def ping(self) -> None:
        """Ask Redis for a PONG (on a pooled connection, within the short timeout)."""
        from redis.exceptions import RedisError

        try:
            self.connection.ping()
        except RedisError as exc:
            raise self._unavailable(exc) from exc

    def enqueue(
        self,
        func: Callable[..., Any],
        *args: Any,
        queue_name: str,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        job_id: str | None = None,
    ) -> str:
        """Queue the job on the named RQ queue."""
        from redis.exceptions import RedisError
        from rq import Queue

        if queue_name not in QUEUES:
            raise ValueError(f"unknown queue {queue_name!r}")
        try:
            job = Queue(self.prefix + queue_name, connection=self.connection).enqueue(
                func,
                *args,
                job_timeout=timeout_s,
                job_id=job_id,
                result_ttl=86400,
                failure_ttl=7 * 86400,
            )
        except RedisError as exc:
            raise self._unavailable(exc) from exc
        return str(job.id)

    def cancel(self, job_id: str) -> None:
        """Cancel a waiting job, or tell its worker to stop a running one."""
        from redis.exceptions import RedisError
        from rq.command import send_stop_job_command
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(job_id, connection=self.connection)
            if job.get_status() == "started":
                send_stop_job_command(self.connection, job_id)
            elif not job.is_finished and not job.is_failed:
                job.cancel()
        except (NoSuchJobError, InvalidJobOperation):
            pass  # finished, gone or already stopping: nothing to stop
        except RedisError as exc:
            raise self._unavailable(exc) from exc


@dataclass
class _Job:
    id: str
    func: Callable[..., Any]
    args: tuple[Any, ...]
    queue_name: str
    status: str = "queued"
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


class InProcessQueue:
    """The embedded default: one background thread runs the same job functions, in order."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: queue.Queue[_Job | None] = queue.Queue()
        self._jobs: dict[str, _Job] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def enqueue(
        self,
        func: Callable[..., Any],
        *args: Any,
        queue_name: str,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        job_id: str | None = None,
    ) -> str:
        """Queue the job for the background thread (started on first use)."""
        if queue_name not in QUEUES:
            raise ValueError(f"unknown queue {queue_name!r}")
        job = _Job(job_id or str(uuid.uuid4()), func, args, queue_name)
        with self._lock:
            self._jobs[job.id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dispatch-worker", daemon=True)
                self._thread.start()
        self._pending.put(job)
        return job.id

    def repeat(self, func: Callable[[], Any], *, every_s: float, queue_name: str) -> threading.Thread:
        """Queue ``func`` every ``every_s`` seconds from a daemon thread (the embedded scheduler)."""

        def loop() -> None:
            while not self._stopping.wait(every_s):
                self.enqueue(func, queue_name=queue_name)

        thread = threading.Thread(target=loop, name=f"dispatch-every-{every_s:g}s", daemon=True)
        thread.start()
        return thread

    def cancel(self, job_id: str) -> None:
        """Skip the job if it has not started (a running job cannot be interrupted here)."""
        job = self._jobs.get(job_id)
        if job is not None and job.status == "queued":
            job.status = "cancelled"

    def ping(self) -> None:
        """The in-process worker is always there (its thread starts with the first job)."""

    def status(self, job_id: str) -> str | None:
        """queued, started, finished or failed; None if unknown."""
        job = self._jobs.get(job_id)
        return job.status if job else None

    def wait(self, job_id: str, timeout_s: float = 30.0) -> str | None:
        """Block until the job has run (tests and the CLI use this)."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        job.done.wait(timeout_s)
        return job.status

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Block until every job queued so far has run (tests use this); False on timeout."""
        with self._lock:
            pending = [job for job in self._jobs.values() if not job.done.is_set()]
        return all(job.done.wait(timeout_s) for job in pending)

    def _run(self) -> None:
        while True:
            job = self._pending.get()
            if job is None:
                return
            if job.status == "cancelled":
                job.done.set()
                continue
            job.status = "started"
            try:
                with runtime.bound(self._engine):
                    job.func(*job.args)
                job.status = "finished"
            except Exception as exc:  # the job failed; the worker goes on with the next one
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
                log.exception("job %s (%s) failed", job.id, getattr(job.func, "__name__", job.func))
            finally:
                job.done.set()

    def stop(self) -> None:
        """Let the thread finish what is queued and end (and stop repeating jobs)."""
        self._stopping.set()
        self._pending.put(None)
