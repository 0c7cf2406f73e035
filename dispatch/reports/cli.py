"""``dispatch reports build``: (re)build the daily report rows of a range of days."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import click

from dispatch.config import ConfigError, Settings


@click.group("reports")
def reports() -> None:
    """Report figures from daily aggregate rows."""


@reports.command("build")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="first day (default: yesterday)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="last day, included (default: --from)")
def build_command(first: datetime | None, last: datetime | None) -> None:
    """Rebuild the daily rows of the days from --from to --to (a re-run replaces them)."""
    from dispatch.db import make_engine, make_session_factory
    from dispatch.reports import jobs, service

    try:
        settings = Settings.from_env(os.environ).finalized()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    start = first.date() if first else date.today() - timedelta(days=1)
    end = last.date() if last else start
    if end < start:
        raise click.ClickException("--to is before --from")
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    written = 0
    try:
        every = service.days(start, end)
        for n in range(0, len(every), jobs.CHUNK_DAYS):  # a month per transaction
            chunk = every[n : n + jobs.CHUNK_DAYS]
            with factory() as session:
                written += service.build_days(
                    session, chunk[0], chunk[-1], time_zone=settings.default_time_zone
                )
                session.commit()
    finally:
        engine.dispose()
    click.echo(f"{written} report rows for {start} to {end} ({settings.default_time_zone})")
