"""Migrations and models agree, on whichever database the run uses; the event log is append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from dispatch import migrate
from dispatch.access import SYSTEM
from dispatch.db import make_engine, scratch_schema
from dispatch.events import service as events
from dispatch.events.models import AppendOnlyError, Event
from dispatch.models import Base


def test_autogenerate_finds_no_difference_between_models_and_migrations(engine):
    assert migrate.differences(engine) == []


def test_every_model_table_exists_after_migrating(engine):
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


@pytest.fixture
def scratch_engine(engine, tmp_path):
    """An empty database of the same kind as the run's (a new SQLite file or PostgreSQL schema)."""
    if engine.dialect.name == "sqlite":
        scratch = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
        yield scratch
        scratch.dispose()
        return
    base = engine.url.set(query={}).render_as_string(hide_password=False)
    with scratch_schema(base, "s") as url:
        scratch = make_engine(url)
        yield scratch
        scratch.dispose()


def test_migrations_go_down_to_nothing_and_up_again(scratch_engine):
    migrate.upgrade(scratch_engine)
    migrate.downgrade(scratch_engine, "base")
    assert set(inspect(scratch_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(scratch_engine)
    assert migrate.differences(scratch_engine) == []


def test_the_orm_refuses_to_change_or_delete_an_event(db_session):
    ev = events.record(db_session, actor=SYSTEM, entity_type="customer", entity_id=1, action="created")
    db_session.commit()
    ev.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(Event, ev.id))
    with pytest.raises(AppendOnlyError):
        db_session.flush()


def test_the_database_itself_refuses_to_update_an_event(db_session):
    events.record(db_session, actor=SYSTEM, entity_type="customer", entity_id=1, action="created")
    db_session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text("UPDATE events SET action = 'rewritten'"))
    db_session.rollback()
    assert db_session.scalar(text("SELECT action FROM events")) == "created"
