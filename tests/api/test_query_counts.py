"""How many SQL statements the busiest read requests cost: a constant, whatever the number of jobs.

The engineer's app asks for its day when it opens (mobile_pwa/store.js ``pull``) and 200 engineers do
that at 07:55; the dispatcher's order list is paged. A statement per job (an N+1 lazy load) would
make both slower the busier the day is, so each is counted with few jobs and with many.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from dispatch.access import SYSTEM
from dispatch.events.models import Event
from dispatch.orders import actions
from tests.booking_world import build, committed, days_ahead, local, planned_order
from tests.factories import advance, make_order

ENGINEER_DAY = (
    "/api/v1/orders?status=dispatched,accepted,en_route,on_site&sort=scheduled_start,sequence&page_size=100"
)


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    """The statements the app's engine runs inside the block."""
    engine = app.extensions["dispatch.db"].engine
    statements: list[str] = []
    request_thread = threading.get_ident()  # not the in-process worker's jobs on the same engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == request_thread:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_jobs(app: Any, world: Any, count: int) -> None:
    """``count`` more dispatched jobs for the engineer user, each with two skills on the order."""
    session = app.extensions["dispatch.db"].sessions()
    try:
        for _ in range(count):
            order = make_order(
                session,
                world.ids["c1"],
                world.ids["s1"],
                world.ids["boiler-service"],
                skills=["gas", "electrical"],
            )
            advance(session, order, world.ids["e1"], "dispatched")
        session.commit()
    finally:
        session.close()


def statements_for(app: Any, client: Any, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """(statements, rows in the answer) for one GET."""
    client.get(path, headers=headers)  # warm: first-request work (metadata, caches) is not per request
    with counted(app) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.json
    return len(statements), len(response.json)


def test_the_engineers_day_costs_the_same_statements_with_4_jobs_as_with_40(app, client, world):
    few, jobs_few = statements_for(app, client, ENGINEER_DAY, world.h("engineer"))
    add_jobs(app, world, 36)
    many, jobs_many = statements_for(app, client, ENGINEER_DAY, world.h("engineer"))
    assert (jobs_few, jobs_many) == (4, 40)
    assert many == few, f"{few} statements for 4 jobs, {many} for 40"
    assert few <= 8, f"{few} statements for one engineer's day"


def test_a_page_of_the_dispatchers_order_list_costs_the_same_statements_however_many_orders_there_are(
    app, client, world
):
    path = "/api/v1/orders?page_size=50"
    short, rows_short = statements_for(app, client, path, world.h("dispatcher"))
    add_jobs(app, world, 50)
    full, rows_full = statements_for(app, client, path, world.h("dispatcher"))
    add_jobs(app, world, 100)
    busy, rows_busy = statements_for(app, client, path, world.h("dispatcher"))
    assert rows_short < 50
    assert rows_full == rows_busy == 50
    assert busy == full, f"{full} statements for a page of 50 of 57 orders, {busy} of 157"
    assert short == full - 1, "only a full page needs counting the rest"
    assert full <= 7, f"{full} statements for a page of orders"


def _published_route(app: Any, w: Any, engineer: str, count: int, first_hour: int) -> None:
    """``count`` dispatched visits on one engineer's route of ``w.day``, an hour apart from ``first_hour``."""

    def fill(session: Any) -> None:
        for i in range(count):
            oid = planned_order(
                session,
                w,
                site="s2",
                window=(local(w.day, 8), local(w.day, 18)),
                start=local(w.day, first_hour) + timedelta(minutes=50 * i),
                engineer=engineer,
            )
            actions.dispatch(session, actor=SYSTEM, order_id=oid, expected_version=None)

    committed(app, fill)


def booking_statements(app: Any, client: Any, w: Any, hour: int) -> tuple[int, int]:
    """(statements, orders retimed) for one booking of the ``hour`` window at Withington."""
    query = {"service_type_id": w.ids["boiler-service"], "day": w.day.isoformat()}
    offered = client.get(
        "/api/v1/slots", query_string=query | {"site_id": w.ids["s1"]}, headers=w.headers["agent"]
    ).json
    chosen = next(s for s in offered if s["local_starts_at"][11:13] == f"{hour:02d}")
    body = query | {"site_id": w.ids["s1"], "starts_at": chosen["starts_at"], "ends_at": chosen["ends_at"]}
    del body["day"]
    with counted(app) as statements:
        response = client.post("/api/v1/bookings", json=body, headers=w.headers["agent"])
    assert response.status_code == 201, response.json
    session = app.extensions["dispatch.db"].sessions()
    try:
        retimed = session.scalar(
            select(func.count(Event.id)).where(
                Event.action == "retimed",
                Event.payload["reason"].as_string().contains(response.json["order"]["number"]),
            )
        )
    finally:
        session.close()
    return len(statements), int(retimed or 0)


def test_a_booking_costs_the_same_statements_on_a_quiet_day_as_on_a_full_one(app, client):
    # Three engineers; the booking joins a published route, so later stops are retimed.
    w = committed(app, lambda s: build(s, app, day=days_ahead(3), engineers_count=3))
    _published_route(app, w, "e1", 1, 14)
    _published_route(app, w, "e2", 1, 14)
    _published_route(app, w, "e3", 1, 14)
    booking_statements(app, client, w, 16)  # warm: first-request work is not per booking
    quiet, retimed_quiet = booking_statements(app, client, w, 8)
    for engineer in ("e1", "e2", "e3"):
        _published_route(app, w, engineer, 6, 10)
    busy, retimed_busy = booking_statements(app, client, w, 8)
    assert retimed_busy > retimed_quiet, (retimed_quiet, retimed_busy)
    assert busy == quiet, f"{quiet} statements to book onto a day of 4 visits, {busy} onto a day of 23"
    assert quiet <= 36, f"{quiet} statements for one booking"
