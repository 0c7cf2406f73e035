"""Worlds built once per test process and restored from their rows afterwards.

Building the shared world through the services (orders walked along the state machine, users with
hashed passwords) takes a few hundred statements; hundreds of tests start from it. The first test
of a process builds it for real; later ones get the same rows back with one multi-row insert per
table (the ids, versions and states are those the services wrote) and fresh tokens. A snapshot is
rebuilt when it is older than a few minutes or was built on another day, so times such as "created
a moment ago" and "tomorrow" stay true.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_jwt_extended import create_access_token
from sqlalchemy import Engine, text

from dispatch.models import Base
from dispatch.users.models import User

MAX_AGE_S = 300.0


@dataclass
class _Snapshot:
    world: Any
    rows: dict[str, list[dict[str, Any]]]
    taken: float
    day: date


_SNAPSHOTS: dict[str, _Snapshot] = {}


def built_or_restored(
    key: str, app: Any, engine: Engine, build: Callable[[], Any], *, over: bool = False
) -> Any:
    """The world ``build`` makes on the test database: built, or restored from last time.

    ``over``: ``build`` adds to a world already in the database (restoring then replaces every row).
    """
    snap = _SNAPSHOTS.get(key)
    today = datetime.now(UTC).date()
    if snap is not None and snap.day == today and time.monotonic() - snap.taken < MAX_AGE_S:
        _restore(engine, snap.rows, empty_first=over)
        world = copy.deepcopy(snap.world)
        _fresh_tokens(app, world, snap.rows.get(User.__tablename__, []))
        return world
    world = build()
    queue = app.extensions["dispatch.queue"]
    if hasattr(queue, "wait_idle"):
        queue.wait_idle()  # what the build queued (notifications) is part of the world
    _SNAPSHOTS[key] = _Snapshot(copy.deepcopy(world), _capture(engine), time.monotonic(), today)
    return world


def _capture(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.computed is None]
            found = [dict(r) for r in conn.execute(table.select().with_only_columns(*columns)).mappings()]
            if found:
                rows[table.name] = found
    return rows


def _restore(engine: Engine, rows: dict[str, list[dict[str, Any]]], *, empty_first: bool) -> None:
    tables = Base.metadata.tables
    if empty_first:
        from tests.conftest import _truncate  # conftest imports this module

        _truncate(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:  # parents before children
            if table.name in rows:
                conn.execute(table.insert(), rows[table.name])
        if engine.dialect.name == "postgresql":
            # The ids were given explicitly: move each sequence past them, as the build left it.
            moves = [
                f"setval(pg_get_serial_sequence('{name}', '{column.name}'), (SELECT max({column.name}) FROM {name}))"
                for name in rows
                for column in tables[name].primary_key.columns
                if _is_integer(column)
            ]
            if moves:
                conn.execute(text("SELECT " + ", ".join(moves)))


def _fresh_tokens(app: Any, world: Any, users: list[dict[str, Any]]) -> None:
    """New access tokens for the world's users (a kept token could expire during a long run)."""
    by_id = {row["id"]: row for row in users}
    with app.app_context():
        for role in list(world.headers):
            row = by_id[world.ids[f"user_{role}"]]
            identity = User(id=row["id"], token_generation=row["token_generation"])
            token = create_access_token(identity=identity, additional_claims={"role": role})
            world.headers[role] = {"Authorization": f"Bearer {token}"}


def _is_integer(column: Any) -> bool:
    try:
        return column.type.python_type is int and column.autoincrement in (True, "auto")
    except NotImplementedError:
        return False
