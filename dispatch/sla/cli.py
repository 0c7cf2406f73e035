"""``dispatch sla ...`` and ``dispatch calendars ...``: the scan, rebuilding clocks, seeding holidays."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from dispatch.config import ConfigError, Settings


@contextmanager
def _session() -> Iterator[Session]:
    from dispatch.db import make_engine, make_session_factory

    try:
        settings = Settings.from_env(os.environ).finalized()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.database_url)
    session: Session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


@click.group("sla")
def sla() -> None:
    """SLA and OLA clocks."""


@sla.command("scan")
def scan_command() -> None:
    """Raise the warnings and breaches that have come due now (what the scheduler runs every minute)."""
    from dispatch.db import utcnow
    from dispatch.sla import jobs, scan

    breaches = warnings = 0
    with _session() as session:
        for _round in range(jobs.MAX_BATCHES):
            result = scan.run(session, now=utcnow(), limit=jobs.BATCH)
            session.commit()
            breaches, warnings = breaches + result.breaches, warnings + result.warnings
            if result.breaches < jobs.BATCH and result.warnings < jobs.BATCH:
                break
    click.echo(f"{breaches} breaches, {warnings} warnings raised")


@sla.command("rebuild")
@click.option("--ticket", "ticket_id", type=int, help="one ticket (default: every ticket with clocks)")
@click.option("--open", "open_only", is_flag=True, help="only tickets that are not closed")
@click.option("--check", is_flag=True, help="only compare the rows with the event log; exit 1 if they differ")
def rebuild_command(ticket_id: int | None, open_only: bool, check: bool) -> None:
    """Rebuild the clock rows from the event log (the rows are a cache of it)."""
    from dispatch.sla import clocks

    differ = done = 0
    with _session() as session:
        ids = (
            [ticket_id]
            if ticket_id is not None
            else list(clocks.tickets_with_clocks(session, open_only=open_only))
        )
        for tid in ids:
            found = clocks.differences(session, tid)
            if found:
                differ += 1
                for line in found[:10]:
                    click.echo(f"ticket {tid}: {line}")
            if not check:
                clocks.rebuild(session, tid)
            done += 1
            if done % 500 == 0:
                session.commit()
        session.commit()
    click.echo(f"{done} tickets {'checked' if check else 'rebuilt'}, {differ} differed from the event log")
    if check and differ:
        raise SystemExit(1)


@click.group("calendars")
def calendars_group() -> None:
    """Business calendars."""


@calendars_group.command("seed")
@click.option("--calendar", "calendar_id", type=int, required=True)
@click.option("--source", type=click.Choice(["holidays", "chinese_calendar"]), required=True)
@click.option("--country", help="for holidays: e.g. GB")
@click.option("--subdiv", help="for holidays: e.g. ENG")
@click.option("--years", required=True, help="a year or a range: 2026 or 2026-2028")
def seed_command(calendar_id: int, source: str, country: str | None, subdiv: str | None, years: str) -> None:
    """Fill a calendar's holidays and make-up working days from a library, then re-time its open clocks."""
    from dispatch.access import SYSTEM
    from dispatch.calendars import service as calendars
    from dispatch.errors import DomainError
    from dispatch.sla import clocks, recompute

    first, _sep, last = years.partition("-")
    try:
        from_year, to_year = int(first), int(last or first)
    except ValueError as exc:
        raise click.ClickException(f"--years is a year or a range such as 2026-2028, not {years!r}") from exc
    with _session() as session:
        try:
            result = calendars.seed_days(
                session,
                actor=SYSTEM,
                calendar_id=calendar_id,
                expected_version=None,
                source=source,
                from_year=from_year,
                to_year=to_year,
                country=country,
                subdiv=subdiv,
            )
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
        recompute.take(session)
        session.commit()
        retimed = 0
        for tid in clocks.tickets_on_calendar(session, calendar_id, limit=1_000_000):
            clocks.refresh(session, tid)
            retimed += 1
        session.commit()
    click.echo(
        f"{result.source}: {result.added} days added, {result.replaced} replaced, "
        f"{result.kept_manual} set by hand kept; {retimed} open tickets re-timed"
    )
    if result.years_not_covered:
        click.echo(f"the library does not know {', '.join(map(str, result.years_not_covered))} yet", err=True)
