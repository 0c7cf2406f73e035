"""The database a job uses: jobs take ids and open their own session (never an ORM object).

A worker process configures one database for all its jobs (:func:`configure`); the in-process
worker binds its app's engine around each job it runs (:func:`bound`), so several apps in one
process never share a database by accident.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dispatch.config import Settings
from dispatch.db import make_engine, make_session_factory

_process: list[sessionmaker[Session]] = []
_thread = threading.local()


def configure(settings: Settings) -> None:
    """Point every job of this process at the configured database (``dispatch worker`` does this)."""
    _process[:] = [make_session_factory(make_engine(settings.database_url))]


@contextmanager
def bound(engine: Engine) -> Iterator[None]:
    """Run the jobs of this thread against ``engine`` for the length of the block."""
    previous = getattr(_thread, "sessions", None)
    _thread.sessions = make_session_factory(engine)
    try:
        yield
    finally:
        _thread.sessions = previous


def current_factory() -> sessionmaker[Session]:
    """The session factory of this thread's job (hand it to helper threads the job starts)."""
    factory = getattr(_thread, "sessions", None) or (_process[0] if _process else None)
    if factory is None:
        raise RuntimeError("the job runtime is not configured: start jobs through `dispatch worker`")
    return factory


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A session whose work is committed if the job succeeds and rolled back if it fails."""
    session = (factory or current_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def in_forked_job() -> bool:
    """True inside an RQ work horse: a process forked for one job, ended without exit hooks."""
    from rq import get_current_job

    return get_current_job() is not None
