"""The ``dispatch`` command: run the demo, migrate, load data, start workers, manage users."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from dispatch.config import ConfigError, Settings


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(os.environ).with_overrides(overrides).finalized()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _served_settings() -> Settings:
    """The settings to serve with; a demo database (loaded by `load-demo --city ...`, never in
    production) is served with its city's company defaults, as `dispatch demo` serves it."""
    settings = _settings()
    if settings.env == "production":
        return settings
    from dispatch.db import make_engine, make_session_factory
    from dispatch.demo import loader

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            city = loader.demo_city(session)
    finally:
        engine.dispose()
    if city is None:
        return settings
    return _settings(**demo_settings(city, os.environ))


@click.group()
def main() -> None:
    """Field-service dispatch."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database."""
    from dispatch import migrate
    from dispatch.db import make_engine

    settings = _settings()
    migrate.upgrade(make_engine(settings.database_url), revision)
    click.echo(f"schema at {revision}: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


DEMO_CITIES = ("manchester", "shanghai")
"""The demo's cities (``dispatch.demo.cities.NAMES``, spelled out so that ``--help`` needs no import)."""

city_option = click.option(
    "--city",
    type=click.Choice(DEMO_CITIES),
    default="manchester",
    show_default=True,
    help="demo city: Greater Manchester, or Shanghai (Chinese names and addresses, Asia/Shanghai, zh_Hans)",
)


@main.command("load-demo")
@click.option("--orders", "orders_count", default=200, show_default=True, type=click.IntRange(1, 5000))
@click.option("--seed", default=7, show_default=True)
@city_option
def load_demo(orders_count: int, seed: int, city: str) -> None:
    """Load the demo city (refused in production and on a database that has users)."""
    settings = _settings()
    logins = _load_demo(settings, orders_count, seed, city)
    _print_logins(logins)


def demo_settings(city: str, environ: Mapping[str, str], **overrides: Any) -> dict[str, Any]:
    """Settings overrides to serve ``city`` with: its company defaults, unless the environment sets them."""
    from dispatch.demo import cities

    wanted = {
        name: value
        for name, value in cities.get(city).settings.items()
        if not environ.get(f"DISPATCH_{name.upper()}")
    }
    return {**wanted, **overrides}


def _load_demo(settings: Settings, orders_count: int, seed: int, city: str = "manchester") -> list[Any]:
    from dispatch import migrate
    from dispatch.db import make_engine, make_session_factory
    from dispatch.demo import loader

    if settings.env == "production":
        raise click.ClickException("demo data has public passwords: it is never loaded in production")
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        if loader.already_loaded(session):
            click.echo("the database already has data: demo not loaded again (delete it to start over)")
            held = loader.loaded_city(session)
            if held not in (None, city):
                click.echo(f"it holds the {held} demo, not {city}: delete it to load {city}", err=True)
            return list(loader.DEMO_LOGINS)
        logins = loader.load(session, orders_count=orders_count, seed=seed, city_name=city)
        session.commit()
    return logins


def _print_logins(logins: list[Any]) -> None:
    click.echo("Demo logins (demo only):")
    for login in logins:
        click.echo(f"  {login.role:<11} {login.email:<24} {login.password}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--orders", "orders_count", default=200, show_default=True, type=click.IntRange(1, 5000))
@city_option
def demo(host: str, port: int, orders_count: int, city: str) -> None:
    """Migrate, load the demo city if the database is empty, and serve it."""
    env = os.environ.get("DISPATCH_ENV") or "demo"
    settings = _settings(**demo_settings(city, os.environ, env=env))
    logins = _load_demo(settings, orders_count, seed=7, city=city)
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo(f"Field-service dispatch is running at {base}/")
    click.echo(f"  Console:      {base}/console   (dispatchers: plan, adjust, publish the day)")
    click.echo(f"  API docs:     {base}/api/docs")
    click.echo(f"  OpenAPI:      {base}/api/openapi.json")
    click.echo(f"  City:         {city} ({settings.default_time_zone}, {settings.default_locale})")
    click.echo(f"  Database:     {_safe_url(settings.database_url)}")
    click.echo("  Worker:       in-process" if not settings.redis_url else "  Worker:       RQ on Redis")
    if settings.email_backend == "file":
        click.echo(
            f"  Email:        written to {settings.mail_outbox_folder} (set DISPATCH_SMTP_HOST to send)"
        )
    _print_logins(logins)
    click.echo("Press Ctrl+C to stop.")
    _serve(settings, host, port, workers=1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn (migrate first with `dispatch db upgrade`)."""
    settings = _served_settings()
    if not settings.redis_url and workers > 1:
        click.echo("no REDIS_URL: each worker process runs its own in-process job worker", err=True)
    _serve(settings, host, port, workers=workers)


def gunicorn_options(host: str, port: int, *, workers: int) -> dict[str, Any]:
    """The gunicorn settings `dispatch serve` runs with (the API benchmark's baseline uses them too)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "accesslog": "-",
        "timeout": 60,
        # gunicorn would believe X-Forwarded-Proto from any local client; the app decides
        # instead, trusting only DISPATCH_TRUSTED_PROXIES proxies (ProxyFix in create_app).
        "forwarded_allow_ips": "",
    }


def run_gunicorn(app: Any, options: dict[str, Any]) -> None:
    """Serve a WSGI app with gunicorn and these settings until stopped."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Server().run()


def settle_heap() -> None:
    """Move what start-up made (modules, the app, its catalogs) out of the garbage collector's sight.

    A full collection otherwise walks that whole heap again and again while requests wait (one
    large report answer took 247 ms instead of 60 ms when one fell inside it); frozen before the
    workers fork, those pages also stay shared between them."""
    import gc

    gc.collect()
    gc.freeze()


def _serve(settings: Settings, host: str, port: int, *, workers: int) -> None:
    from api import create_app

    app = create_app(settings)
    settle_heap()
    run_gunicorn(app, gunicorn_options(host, port, workers=workers))


@main.command()
@click.option("--queue", "queues", multiple=True, help="queues to serve (default: all)")
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker on REDIS_URL for the named queues."""
    from redis import Redis
    from rq import Queue, Worker

    from dispatch.tasks import runtime
    from dispatch.tasks.queue import QUEUES

    settings = _served_settings()
    if not settings.redis_url:
        raise click.ClickException("set DISPATCH_REDIS_URL (or REDIS_URL): the worker takes jobs from Redis")
    unknown = set(queues) - set(QUEUES)
    if unknown:
        raise click.ClickException(
            f"unknown queue(s): {', '.join(sorted(unknown))}; known: {', '.join(QUEUES)}"
        )
    runtime.configure(settings)
    connection = Redis.from_url(settings.redis_url)
    _wire_notifications(settings)
    names = queues or QUEUES
    prefixed = [settings.queue_prefix + n for n in names]
    click.echo(f"worker on {_safe_url(settings.redis_url)}, queues: {', '.join(prefixed)}")
    Worker([Queue(n, connection=connection) for n in prefixed], connection=connection).work(burst=burst)


def _wire_notifications(settings: Settings) -> None:
    """Committed outbox rows of this process go to the ``notifications`` queue (or wait for the sweeper)."""
    from dispatch.notifications import jobs as notification_jobs
    from dispatch.notifications import wiring
    from dispatch.tasks.queue import RQQueue

    enqueue = None
    if settings.redis_url:
        rq = RQQueue(settings.redis_url, prefix=settings.queue_prefix)

        def enqueue(notification_id: int) -> None:
            rq.enqueue(
                notification_jobs.deliver, notification_id, queue_name=notification_jobs.QUEUE, timeout_s=300
            )

    wiring.install(None, wiring.Wiring(settings=settings, enqueue=enqueue))


@main.command()
@click.option("--once", is_flag=True, help="queue the periodic jobs once and exit (for cron)")
def scheduler(once: bool) -> None:
    """Queue periodic jobs on REDIS_URL (run one per installation, beside the workers)."""
    from redis import Redis
    from rq import Queue
    from rq.cron import CronScheduler

    from dispatch.mail import jobs as mail_jobs
    from dispatch.notifications import delivery
    from dispatch.notifications import jobs as notification_jobs
    from dispatch.reports import jobs as report_jobs
    from dispatch.routing import jobs as desk
    from dispatch.sla import jobs as sla
    from dispatch.tasks import jobs

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException(
            "set DISPATCH_REDIS_URL (or REDIS_URL): the scheduler queues jobs on Redis"
        )
    connection = Redis.from_url(settings.redis_url)
    queue_name = settings.queue_prefix + "maintenance"
    desk_queue = settings.queue_prefix + desk.QUEUE
    sla_queue = settings.queue_prefix + sla.QUEUE
    close_args = (settings.ticket_auto_close_hours,)
    if once:
        job = Queue(queue_name, connection=connection).enqueue(jobs.housekeeping, job_timeout=600)
        sweep = Queue(desk_queue, connection=connection).enqueue(desk.assign_all, job_timeout=600)
        close = Queue(desk_queue, connection=connection).enqueue(
            desk.close_resolved, *close_args, job_timeout=600
        )
        sla_scan = Queue(sla_queue, connection=connection).enqueue(sla.scan_clocks, job_timeout=600)
        click.echo(f"queued housekeeping ({job.id}) on {queue_name}; assignment ({sweep.id}) and")
        click.echo(
            f"closing of resolved tickets ({close.id}) on {desk_queue}; the SLA scan ({sla_scan.id}) on {sla_queue}"
        )
        outbox = Queue(settings.queue_prefix + notification_jobs.QUEUE, connection=connection).enqueue(
            notification_jobs.sweep, job_timeout=600
        )
        click.echo(f"notification sweep ({outbox.id}) on {settings.queue_prefix + notification_jobs.QUEUE}")
        report_queue = settings.queue_prefix + report_jobs.QUEUE
        nightly = Queue(report_queue, connection=connection).enqueue(
            report_jobs.nightly, settings.default_time_zone, job_timeout=3600
        )
        click.echo(f"report rows ({nightly.id}) on {report_queue}")
        if settings.imap_host:
            fetch = Queue(desk_queue, connection=connection).enqueue(mail_jobs.fetch, job_timeout=600)
            click.echo(f"mail fetch ({fetch.id}) on {desk_queue}")
        return
    cron = CronScheduler(connection=connection, name=f"dispatch-{settings.queue_prefix or 'default'}")
    cron.register(
        jobs.housekeeping, queue_name=queue_name, interval=jobs.HOUSEKEEPING_EVERY_S, job_timeout=600
    )
    cron.register(desk.assign_all, queue_name=desk_queue, interval=desk.SWEEP_EVERY_S, job_timeout=600)
    cron.register(
        desk.close_resolved,
        queue_name=desk_queue,
        args=close_args,
        interval=jobs.HOUSEKEEPING_EVERY_S,
        job_timeout=600,
    )
    cron.register(sla.scan_clocks, queue_name=sla_queue, interval=sla.SCAN_EVERY_S, job_timeout=600)
    cron.register(
        notification_jobs.sweep,
        queue_name=settings.queue_prefix + notification_jobs.QUEUE,
        interval=delivery.SWEEP_EVERY_S,
        job_timeout=600,
    )
    cron.register(
        report_jobs.nightly,
        queue_name=settings.queue_prefix + report_jobs.QUEUE,
        args=(settings.default_time_zone,),
        cron=report_jobs.NIGHTLY_CRON,
        job_timeout=3600,
    )
    if settings.imap_host:
        cron.register(
            mail_jobs.fetch, queue_name=desk_queue, interval=settings.mail_fetch_every_s, job_timeout=600
        )
    click.echo(
        f"scheduler on {_safe_url(settings.redis_url)}: housekeeping every {jobs.HOUSEKEEPING_EVERY_S} s, "
        f"ticket assignment every {desk.SWEEP_EVERY_S} s, the SLA scan every {sla.SCAN_EVERY_S} s"
        f", notification sweep every {delivery.SWEEP_EVERY_S} s, report rows at {report_jobs.NIGHTLY_CRON} (cron)"
        + (f", mail fetch every {settings.mail_fetch_every_s} s" if settings.imap_host else "")
    )
    cron.start()  # type: ignore[no-untyped-call]


@main.command("mail-fetch")
@click.option(
    "--once", is_flag=True, help="fetch once and exit (without it: every DISPATCH_MAIL_FETCH_EVERY_S)"
)
def mail_fetch(once: bool) -> None:
    """Take new mail from the IMAP mailboxes onto the desk (DISPATCH_IMAP_*)."""
    from dispatch.attachments.storage import LocalBlobStore
    from dispatch.db import make_engine, make_session_factory
    from dispatch.mail import fetch

    settings = _settings()
    if not settings.imap_host:
        raise click.ClickException(
            "set DISPATCH_IMAP_HOST (and DISPATCH_IMAP_USERNAME / _PASSWORD) to fetch mail"
        )
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    _wire_notifications(settings)
    store = LocalBlobStore(settings.attachments_folder)
    try:
        _fetch_loop(fetch, sessions, store, settings, once=once)
    finally:
        engine.dispose()


def _fetch_loop(fetch: Any, sessions: Any, store: Any, settings: Settings, *, once: bool) -> None:
    import time

    while True:
        try:
            results = fetch.fetch_all(sessions, store, settings)
        except Exception as exc:  # the server is down or refuses us: say so, try again later
            if once:
                raise click.ClickException(f"mail fetch failed: {type(exc).__name__}: {exc}") from exc
            click.echo(f"mail fetch failed: {type(exc).__name__}: {exc}", err=True)
            results = []
        for result in results:
            outcomes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(result.outcomes.items()))
            click.echo(
                f"{result.mailbox}: {result.fetched} messages in {result.seconds:.1f} s ({outcomes or 'nothing new'})"
            )
        if once:
            return
        time.sleep(settings.mail_fetch_every_s)


@main.group()
def webhooks() -> None:
    """Webhook endpoints and their calls."""


@webhooks.command("replay")
@click.option(
    "--since", required=True, help="ISO date or time (UTC unless it says otherwise), e.g. 2026-12-01T08:00"
)
@click.option("--endpoint", "endpoint_id", type=int, help="only this endpoint's calls")
@click.option("--failed", "failed_only", is_flag=True, help="only calls that failed for good")
def webhooks_replay(since: str, endpoint_id: int | None, failed_only: bool) -> None:
    """Send webhook calls made since a moment again, with the same webhook-id (the worker sends them)."""
    from datetime import UTC, datetime

    from dispatch.access import SYSTEM
    from dispatch.db import make_engine, make_session_factory
    from dispatch.errors import DomainError
    from dispatch.notifications import webhooks as hooks

    try:
        moment = datetime.fromisoformat(since)
    except ValueError as exc:
        raise click.BadParameter(f"{since!r} is not an ISO date or time", param_hint="--since") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    settings = _settings()
    _wire_notifications(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            try:
                ids = hooks.replay(
                    session, actor=SYSTEM, since=moment, endpoint_id=endpoint_id, failed_only=failed_only
                )
            except DomainError as exc:
                raise click.ClickException(str(exc.message)) from exc
            session.commit()
    finally:
        engine.dispose()  # no pooled connection left behind (the command may run inside another process)
    where = "queued for the worker" if settings.redis_url else "left for the sweeper of the running service"
    click.echo(f"{len(ids)} webhook calls since {moment.isoformat()} {where}")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option(
    "--role",
    type=click.Choice(["admin", "dispatcher", "agent"]),
    default="admin",
    show_default=True,
)
@click.password_option()
def create_user(email: str, full_name: str, role: str, password: str) -> None:
    """Create a staff user (the first admin of a new installation)."""
    from dispatch.access import SYSTEM, Role
    from dispatch.db import make_engine, make_session_factory
    from dispatch.errors import DomainError
    from dispatch.users import service as users

    settings = _settings()
    with make_session_factory(make_engine(settings.database_url))() as session:
        try:
            user = users.create(
                session,
                actor=SYSTEM,
                email=email,
                full_name=full_name,
                password=password,
                role=Role(role),
            )
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
        session.commit()
        click.echo(f"created {role} {user.email} (user {user.id})")


def _register_domain_commands() -> None:
    from dispatch.reports.cli import reports
    from dispatch.sla.cli import calendars_group, sla

    main.add_command(reports)
    main.add_command(sla)
    main.add_command(calendars_group)


_register_domain_commands()

if __name__ == "__main__":
    sys.exit(main())
