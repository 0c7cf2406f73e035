"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when configured), the app,
clients with tokens for every role, and a small world of customers, engineers and orders.

Set ``DISPATCH_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to
run everything on PostgreSQL: each run gets a schema of its own, dropped at the end.
``DISPATCH_TEST_REDIS_URL`` points the queue tests at Redis; with ``DISPATCH_TEST_REQUIRE_SERVICES=1``
a missing PostgreSQL or Redis fails the run instead of skipping those tests.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dispatch import migrate
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.models import Base
from dispatch.users import service as users_service
from tests import snapshot

REQUIRE_SERVICES = os.environ.get("DISPATCH_TEST_REQUIRE_SERVICES") == "1"
TEST_SECRET = secrets.token_urlsafe(48)


def missing_service(what: str) -> None:
    """Skip the test, or fail it when the run says the services must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (DISPATCH_TEST_REQUIRE_SERVICES=1) but not reachable")
    pytest.skip(f"{what} not reachable")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with the cheapest parameters: the suite creates hundreds of users."""
    original = users_service._hasher
    users_service._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    yield
    users_service._hasher = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this run: SQLite file, or a PostgreSQL schema of its own."""
    base = os.environ.get("DISPATCH_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    with scratch_schema(base, "t") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database's engine."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _truncate(engine: Engine) -> None:
    """Delete every row and restart the ids (DELETE is far quicker than TRUNCATE on tiny tables)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            return
        # A session a test forgot to close would block this forever: fail loudly instead.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        sequences = conn.execute(
            text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            )
        ).scalars()
        statements = [f"DELETE FROM {name}" for name in tables]
        statements += [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences]
        conn.exec_driver_sql(";\n".join(statements))  # one round trip


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """Empty every table after the test, so each test starts from nothing."""
    yield engine
    _truncate(engine)


@pytest.fixture
def db_session(clean_db: Engine) -> Iterator[Session]:
    """A session on the test database for service-level tests (commit as the caller would)."""
    session = make_session_factory(clean_db)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def app_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Settings overrides every test app gets."""
    return {
        "env": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "instance_path": str(tmp_path_factory.mktemp("instance")),
        # The shared world's visits are tomorrow: a change deadline would make customers' rights
        # depend on the time of day the suite runs. Tests of the deadline build an app with one.
        "booking_change_hours": 0,
        # ...and an engineer is on site at one of them: the field rules (check in on the visit's day,
        # one job on site at a time) are tested with an app that keeps them (tests/api/test_field_rules.py).
        "field_rules": False,
        # Tests log in back to back, at once and from one address all run long: the shared app's
        # login limits are loose (tests/api/test_login_limits.py builds apps with the real ones).
        "login_checks_share": 1.0,
        "login_limit_service": "100/second",
        "login_limit_per_address": "1000/minute",
        "login_limit_per_account": "1000/minute",
        "refresh_limit_per_address": "1000/minute",
    }


@pytest.fixture(scope="session")
def app(app_settings: dict[str, Any]) -> Iterator[Any]:
    """The app under test (one per run; the database is emptied between tests)."""
    from api import create_app

    app = create_app(app_settings)
    yield app
    app.extensions["dispatch.db"].engine.dispose()  # no pooled connection left open at exit


@pytest.fixture
def client(app: Any, clean_db: Engine) -> Iterator[Any]:
    """A test client on an empty database, login rate limits with nothing counted yet (jobs it
    queued have run before the tables are emptied)."""
    app.extensions["dispatch.limiter"].reset()
    yield app.test_client()
    queue = app.extensions["dispatch.queue"]
    if hasattr(queue, "wait_idle"):
        queue.wait_idle()


@pytest.fixture
def world(client: Any, app: Any, engine: Engine) -> Any:
    """Customers, engineers, staff and orders in every status, with a token for each user."""
    from tests.factories import build_world

    def build() -> Any:
        session = app.extensions["dispatch.db"].sessions()
        try:
            built = build_world(session, app)
            session.commit()
        finally:
            session.close()
        return built

    return snapshot.built_or_restored("world", app, engine, build)


def repo_root() -> Path:
    """The repository's top folder."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def own_redis() -> Iterator[Any]:
    """A Redis of the test's own on a free port (:class:`tests.servers.RedisServer`), stopped at the end."""
    from tests.servers import RedisServer

    if shutil.which("redis-server") is None:
        missing_service("redis-server (to start and stop a Redis of the test's own)")
    server = RedisServer()
    server.start()
    yield server
    server.stop()
