"""One database session per request; the request owns the transaction."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask.views import MethodView
from sqlalchemy.orm import Session, sessionmaker

from dispatch.config import Settings
from dispatch.db import make_engine, make_session_factory


class Database:
    """The engine and session factory of one app."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)


def init_app(app: Flask, settings: Settings) -> None:
    """Bind a :class:`Database` to the app and close the request's session after it."""
    app.extensions["dispatch.db"] = Database(settings)
    app.teardown_appcontext(_close)


def db() -> Database:
    """The current app's database."""
    database: Database = current_app.extensions["dispatch.db"]
    return database


def session() -> Session:
    """The current request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = db().sessions()
    current: Session = g.db_session
    return current


def commit() -> None:
    """Commit the request's work (races the database catches become 409s in :mod:`api.errors`)."""
    if "db_session" in g:
        g.db_session.commit()


def _close(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()  # rolls back whatever was not committed


class View(MethodView):
    """A resource view: a successful request is committed, a failed one rolled back."""

    def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        """Run the view, then commit if it did not raise."""
        response = super().dispatch_request(*args, **kwargs)
        commit()
        return response
