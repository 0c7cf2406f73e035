"""The benchmark's data: a range of tickets, clocks, events, visits and published plans written in
bulk, or directly the daily rows such a range makes."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, cast

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Column, Date, Table
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault
from sqlalchemy.sql.schema import ScalarElementColumnDefault as ScalarElementArgument

from dispatch.access import SYSTEM
from dispatch.calendars import service as calendars
from dispatch.catalog import service as catalog
from dispatch.complaints.models import Complaint, Responsible, RootCause
from dispatch.customers import service as customers
from dispatch.db import UTCDateTime
from dispatch.engineers import service as engineers
from dispatch.events.models import Event
from dispatch.kb.models import Article, SelfService, SelfServiceSource, Visibility
from dispatch.orders.models import Order, OrderStatus
from dispatch.planning.models import Plan, PlanRoute, PlanStatus, PlanStop
from dispatch.reports import service
from dispatch.reports.figures import Audience, Reading, all_figures
from dispatch.reports.models import DailyAggregate
from dispatch.routing.models import DeskTeam
from dispatch.sites import service as sites
from dispatch.sla.models import ClockKind, SlaClock
from dispatch.surveys.models import Survey, SurveySubject
from dispatch.tickets.models import Ticket, TicketCategory, TicketChannel, TicketKind, TicketStatus

TZ = "Europe/London"
OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
CHUNK = 5000


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _converter(column: Column[Any], sqlite: bool) -> Callable[[Any], Any] | None:
    """How a value of the column goes to the driver, stored as the column type would store it."""
    kind = column.type
    if isinstance(kind, JSON):
        return json.dumps if sqlite else Jsonb
    if isinstance(kind, SAEnum):
        return lambda value: value.value if isinstance(value, Enum) else value
    if sqlite and isinstance(kind, UTCDateTime):
        return _sqlite_time
    if sqlite and isinstance(kind, Date):
        return date.isoformat
    return None


def bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Write the rows straight through the driver (COPY on PostgreSQL, one prepared statement on
    SQLite), with the columns' Python defaults filled in: the ORM's and even Core's per-row work
    would take most of a benchmark's time for a year of rows."""
    if not rows:
        return
    table: Table = model.__table__
    sqlite = session.get_bind().dialect.name == "sqlite"
    given = list(dict.fromkeys(key for row in rows for key in row))
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in given and isinstance(c.default, (ScalarElementArgument, CallableColumnDefault))
    }
    columns = [*given, *defaults]
    convert = [(n, f) for n, f in enumerate(_converter(table.columns[c], sqlite) for c in columns) if f]
    values = []
    for row in rows:
        line = [row.get(name) for name in given]
        for default in defaults.values():
            line.append(
                default.arg if isinstance(default, ScalarElementArgument) else default.arg(cast(Any, None))
            )
        for n, function in convert:
            if line[n] is not None:
                line[n] = function(line[n])
        values.append(line)
    names = ", ".join(f'"{name}"' for name in columns)
    raw: Any = session.connection().connection.driver_connection
    if sqlite:
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
        return
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for line in values:
            copy.write_row(line)


def generate(session: Session, *, tickets: int, visits: int, first: date, days: int, seed: int) -> None:
    rng = random.Random(seed)
    cal = calendars.create(
        session,
        actor=SYSTEM,
        name="Office",
        time_zone=TZ,
        week=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE),
    ).id
    teams = [DeskTeam(code=f"t{n}", name=f"Team {n}") for n in range(5)]
    categories = [TicketCategory(name=f"Category {n}") for n in range(10)]
    article = Article(visibility=Visibility.PUBLIC)
    causes = [RootCause(name=f"Cause {n}") for n in range(8)]
    session.add_all([*teams, *categories, article, *causes])
    session.flush()
    customer = customers.create(session, actor=SYSTEM, name="Bench Ltd", email="bench@example.com").id
    site_ids = [
        sites.create(
            session,
            actor=SYSTEM,
            customer_id=customer,
            address=f"{n} Bench Street",
            latitude=53.4 + n / 1000,
            longitude=-2.2,
            geocoder=None,
            default_time_zone=TZ,
        ).id
        for n in range(200)
    ]
    kind = catalog.create_type(
        session, actor=SYSTEM, code="service", name="Service", default_duration_s=3600
    ).id
    crew = [
        engineers.create(
            session, actor=SYSTEM, name=f"Engineer {n}", home_latitude=53.48, home_longitude=-2.24
        ).id
        for n in range(10)
    ]
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    span_s = days * 86400
    channels = list(TicketChannel)
    ticket_rows, created = [], []
    complaints: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    for n in range(tickets):
        at = start + timedelta(seconds=rng.randrange(span_s))
        resolved = at + timedelta(hours=rng.uniform(0.5, 72)) if rng.random() < 0.85 else None
        created.append((at, resolved))
        team = rng.choice(teams).id
        ticket_kind = TicketKind.COMPLAINT if rng.random() < 0.03 else TicketKind.FAULT
        if ticket_kind is TicketKind.COMPLAINT:  # 3 % complaints, attributed when resolved
            complaints.append(
                {
                    "ticket_id": n + 1,
                    "customer_id": customer,
                    "responsible": rng.choice(list(Responsible)) if resolved else None,
                    "cause_id": rng.choice(causes).id if resolved else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        if resolved and rng.random() < 0.2:  # a fifth of the resolved tickets' surveys are answered
            surveys.append(
                {
                    "subject": SurveySubject.TICKET,
                    "ticket_id": n + 1,
                    "customer_id": customer,
                    "team_id": team,
                    "created_at": resolved,
                    "expires_at": resolved + timedelta(days=14),
                    "answered_at": resolved + timedelta(hours=rng.uniform(0.1, 48)),
                    "score": rng.randint(1, 5),
                }
            )
        ticket_rows.append(
            {
                "id": n + 1,
                "kind": ticket_kind,
                "channel": rng.choice(channels),
                "subject": "Bench ticket",
                "status": TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
                "customer_id": customer,
                "category_id": rng.choice(categories).id,
                "team_id": team,
                "created_at": at,
                "updated_at": at,
                "resolved_at": resolved,
                "tags": [],
            }
        )
    bulk(session, Ticket, ticket_rows)
    clock_rows, event_rows, served = [], [], []
    for n, (at, resolved) in enumerate(created, start=1):
        answered = at + timedelta(minutes=rng.uniform(5, 600))
        base = {"ticket_id": n, "policy_id": 1, "calendar_id": cal, "started_at": at, "paused_s": 0}
        clock_rows.append(
            {
                **base,
                "key": "first_response",
                "kind": ClockKind.FIRST_RESPONSE,
                "target_s": 3600,
                "stopped_at": answered,
                "breached_at": answered if rng.random() < 0.2 else None,
            }
        )
        if resolved:
            clock_rows.append(
                {
                    **base,
                    "key": "resolution",
                    "kind": ClockKind.RESOLUTION,
                    "target_s": 8 * 3600,
                    "stopped_at": resolved,
                }
            )
            event_rows.append(
                {
                    "at": resolved,
                    "actor_role": "agent",
                    "entity_type": "ticket",
                    "entity_id": n,
                    "ticket_id": n,
                    "action": "status_changed",
                    "after": {"status": "resolved"},
                }
            )
            if rng.random() < 0.05:
                event_rows.append(
                    {
                        "at": resolved + timedelta(hours=2),
                        "actor_role": "customer",
                        "entity_type": "ticket",
                        "entity_id": n,
                        "ticket_id": n,
                        "action": "status_changed",
                        "after": {"status": "reopened"},
                    }
                )
        if rng.random() < 0.3:
            clock_rows.append(
                {
                    **base,
                    "key": "ola",
                    "kind": ClockKind.OLA,
                    "target_s": 4 * 3600,
                    "team_id": rng.choice(teams).id,
                    "stopped_at": answered,
                }
            )
        if rng.random() < 0.05:
            served.append(
                {
                    "article_id": article.id,
                    "source": SelfServiceSource.CUSTOMER,
                    "visitor": f"v{n}",
                    "created_at": at,
                }
            )
    bulk(session, SlaClock, clock_rows)
    bulk(session, SelfService, served)
    order_rows: list[dict[str, Any]] = []
    by_day: dict[date, list[tuple[int, datetime]]] = {}
    for n in range(visits):
        day = first + timedelta(days=rng.randrange(days))
        at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=rng.randrange(540))
        order_rows.append(
            {
                "id": n + 1,
                "customer_id": customer,
                "site_id": rng.choice(site_ids),
                "service_type_id": kind,
                "engineer_id": rng.choice(crew),
                "status": OrderStatus.COMPLETED,
                "duration_s": 3600,
                "created_at": at - timedelta(days=rng.randrange(1, 10)),
                "updated_at": at,
            }
        )
        by_day.setdefault(day, []).append((n + 1, at))
        if rng.random() < 0.25:  # a quarter of the visits' surveys are answered
            surveys.append(
                {
                    "subject": SurveySubject.VISIT,
                    "order_id": n + 1,
                    "customer_id": customer,
                    "engineer_id": order_rows[-1]["engineer_id"],
                    "created_at": at + timedelta(hours=1),
                    "expires_at": at + timedelta(days=15),
                    "answered_at": at + timedelta(hours=rng.uniform(2, 48)),
                    "score": rng.randint(1, 5),
                }
            )
        event_rows.append(
            {
                "at": at + timedelta(minutes=rng.randrange(-10, 30)),
                "actor_role": "engineer",
                "entity_type": "order",
                "entity_id": n + 1,
                "order_id": n + 1,
                "action": "check_in",
            }
        )
        event_rows.append(
            {
                "at": at + timedelta(hours=1),
                "actor_role": "engineer",
                "entity_type": "order",
                "entity_id": n + 1,
                "order_id": n + 1,
                "action": "complete",
            }
        )
    bulk(session, Order, order_rows)
    bulk(session, Event, event_rows)
    bulk(session, Complaint, complaints)
    bulk(session, Survey, surveys)
    plan_rows, route_rows, stop_rows = [], [], []
    for p, (day, stops) in enumerate(sorted(by_day.items()), start=1):
        morning = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
        plan_rows.append(
            {
                "id": p,
                "day": day,
                "time_zone": TZ,
                "status": PlanStatus.PUBLISHED,
                "time_limit_s": 10,
                "published_at": morning - timedelta(hours=12),
                "created_at": morning,
                "updated_at": morning,
            }
        )
        for e, engineer in enumerate(crew):
            route_id = (p - 1) * len(crew) + e + 1
            route_rows.append(
                {
                    "id": route_id,
                    "plan_id": p,
                    "engineer_id": engineer,
                    "departs_at": morning,
                    "returns_at": morning + timedelta(hours=9),
                    "travel_distance_m": rng.randrange(20_000, 90_000),
                    "travel_time_s": rng.randrange(1800, 9000),
                }
            )
            for seq, (order_id, at) in enumerate(stops[e :: len(crew)], start=1):
                stop_rows.append(
                    {
                        "route_id": route_id,
                        "order_id": order_id,
                        "sequence": seq,
                        "arrives_at": at,
                        "starts_at": at,
                        "departs_at": at + timedelta(hours=1),
                        "travel_time_s": 900,
                        "travel_distance_m": 8000,
                    }
                )
    bulk(session, Plan, plan_rows)
    bulk(session, PlanRoute, route_rows)
    bulk(session, PlanStop, stop_rows)


KEYS = {
    "all": 1,
    "channel": 6,
    "category": 10,
    "desk_team": 5,
    "engineer": 10,
    "root_cause": 8,
    "responsible": 3,
}


def daily_rows(session: Session, *, tickets: int, visits: int, first: date, days: int, seed: int) -> int:
    """The daily rows a year of ``tickets`` and ``visits`` makes (same shapes, random values), written directly."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for figure in all_figures():
        per_day = (tickets if figure.audience is Audience.DESK else visits) / days
        for day in service.days(first, first + timedelta(days=days - 1)):
            for dimension in figure.dimensions:
                keys = KEYS.get(dimension, 1)
                for key in range(keys):
                    n = max(int(rng.gauss(per_day / keys, per_day / keys / 5)), 0)
                    samples = (
                        sorted(rng.randrange(60, 200_000) for _ in range(n))
                        if figure.reading is Reading.DURATION
                        else None
                    )
                    rows.append(
                        {
                            "day": day,
                            "figure": figure.name,
                            "dimension": dimension,
                            "key": "all" if dimension == "all" else str(key + 1),
                            "count": n,
                            "total": int(n * rng.uniform(0.6, 0.95)),
                            "samples": samples,
                            "computed_at": datetime.now(UTC),
                        }
                    )
    bulk(session, DailyAggregate, rows)
    return len(rows)
