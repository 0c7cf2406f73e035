"""Alembic environment: runs against the connection the caller hands over, or DISPATCH settings."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from dispatch.config import Settings
from dispatch.db import make_engine
from dispatch.migrate import include_object
from dispatch.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the connection given by :mod:`dispatch.migrate`, else the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = Settings.from_env(os.environ)
    url = settings.database_url or settings.with_overrides({"env": "development"}).finalized().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
