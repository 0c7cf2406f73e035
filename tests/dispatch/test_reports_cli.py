"""``dispatch reports build``: the rows of a range of days, rebuilt on every run."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dispatch import cli
from dispatch.reports.models import DailyAggregate
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind
from tests.factories import make_customer


def test_build_command_writes_the_days_rows_and_refuses_a_backward_range(db_session, database_url):
    customer = make_customer(db_session, "Ada Lane", "ada@example.com")
    db_session.add(
        Ticket(
            kind=TicketKind.INQUIRY,
            channel=TicketChannel.EMAIL,
            subject="Opening hours?",
            customer_id=customer,
            created_at=datetime(2026, 11, 10, 9, tzinfo=UTC),
        )
    )
    db_session.commit()
    unset = {k: None for k in os.environ if k.startswith("DISPATCH_") or k in ("DATABASE_URL", "REDIS_URL")}
    env = {
        **unset,
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_DEFAULT_TIME_ZONE": "Asia/Shanghai",
        "DISPATCH_ENV": "development",
    }
    for _run in range(2):
        done = CliRunner().invoke(
            cli.main, ["reports", "build", "--from", "2026-11-10", "--to", "2026-11-11"], env=env
        )
        assert done.exit_code == 0, done.output
    assert "report rows for 2026-11-10 to 2026-11-11 (Asia/Shanghai)" in done.output
    rows = db_session.scalars(select(DailyAggregate).where(DailyAggregate.figure == "volume")).all()
    assert {(r.day.isoformat(), r.dimension, r.key, r.count) for r in rows} == {
        ("2026-11-10", "all", "all", 1),
        ("2026-11-10", "channel", "email", 1),
        ("2026-11-10", "category", "none", 1),
    }
    backward = CliRunner().invoke(
        cli.main, ["reports", "build", "--from", "2026-11-10", "--to", "2026-11-01"], env=env
    )
    assert backward.exit_code != 0
    assert "--to is before --from" in backward.output


@pytest.mark.parametrize("chunk", [31, 4])
def test_nightly_job_rebuilds_the_fifteen_days_up_to_yesterday(db_session, clean_db, monkeypatch, chunk):
    from dispatch.reports import jobs
    from dispatch.tasks.runtime import bound

    monkeypatch.setattr(jobs, "CHUNK_DAYS", chunk)  # one transaction for the 15 days, or four

    customer = make_customer(db_session, "Ada Lane", "ada@example.com")
    for day in (1, 2, 16, 17):  # 1 Nov is too old to be rebuilt, 17 Nov is today
        db_session.add(
            Ticket(
                kind=TicketKind.FAULT,
                channel=TicketChannel.PHONE,
                subject="Leak",
                customer_id=customer,
                created_at=datetime(2026, 11, day, 12, tzinfo=UTC),
            )
        )
    db_session.commit()
    with bound(clean_db):
        jobs.nightly("Europe/London", now="2026-11-17T08:00:00+00:00")
    rows = db_session.scalars(
        select(DailyAggregate).where(DailyAggregate.figure == "volume", DailyAggregate.dimension == "all")
    ).all()
    assert {(r.day.isoformat(), r.count) for r in rows} == {("2026-11-02", 1), ("2026-11-16", 1)}
    levels = db_session.scalars(
        select(DailyAggregate).where(DailyAggregate.figure == "backlog", DailyAggregate.dimension == "all")
    ).all()  # every day of the fifteen has its level, whatever the transactions
    assert sorted((r.day.day, r.count) for r in levels) == [*((d, 2) for d in range(2, 16)), (16, 3)]
