"""Recording and reading events."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, require_role
from dispatch.db import utcnow
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate


def jsonable(value: Any) -> Any:
    """Turn a column value into something JSON can hold (dates as ISO 8601, enums as values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: object, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of an entity's columns (or of ``names``), JSON-ready."""
    if names is None:
        names = [attr.key for attr in inspect(obj).mapper.column_attrs]
    return {name: jsonable(getattr(obj, name)) for name in names}


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose values differ, as a ``(before, after)`` pair."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    session: Session,
    *,
    actor: Actor,
    entity_type: str,
    entity_id: int,
    action: str,
    order_id: int | None = None,
    ticket_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event to the log (flushed with the change it describes), then tell the subscribers."""
    ev = Event(
        actor_user_id=actor.user_id,
        actor_role=actor.role.value,
        entity_type=entity_type,
        entity_id=entity_id,
        order_id=order_id,
        ticket_id=ticket_id,
        action=action,
        before=jsonable(dict(before)) if before is not None else None,
        after=jsonable(dict(after)) if after is not None else None,
        payload=jsonable(dict(payload)) if payload else None,
    )
    session.add(ev)
    for wanted, subscriber in _subscribers:
        if wanted == entity_type:
            subscriber(session, ev)
    return ev


def record_many(
    session: Session, *, actor: Actor, entity_type: str, action: str, changes: Iterable[Change]
) -> None:
    """Append one event per change in one statement (a route retimed at once), then tell the subscribers.

    :func:`record` adds each event to the session; where a change touches many rows at once that
    would be a statement per row on SQLite (it cannot return the new ids of a batch), so these go in
    as one multi-row INSERT. The subscribers get each event as :func:`record` gives it (no id yet).
    """
    made = [
        Event(
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor_role=actor.role.value,
            entity_type=entity_type,
            entity_id=c.entity_id,
            order_id=c.order_id,
            ticket_id=None,
            action=action,
            before=jsonable(dict(c.before)),
            after=jsonable(dict(c.after)),
            payload=jsonable(dict(c.payload)) if c.payload else None,
        )
        for c in changes
    ]
    if not made:
        return
    columns = [c.key for c in Event.__mapper__.column_attrs if c.key != "id"]
    session.execute(insert(Event), [{name: getattr(ev, name) for name in columns} for ev in made])
    for ev in made:
        for wanted, subscriber in _subscribers:
            if wanted == entity_type:
                subscriber(session, ev)


@dataclass(frozen=True)
class Change:
    """One entity's change for :func:`record_many`."""

    entity_id: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    order_id: int | None = None
    payload: Mapping[str, Any] | None = None


Subscriber = Callable[[Session, Event], None]
_subscribers: list[tuple[str, Subscriber]] = []


def subscribe(entity_type: str, subscriber: Subscriber) -> None:
    """Call ``subscriber(session, event)`` for every event recorded about ``entity_type``.

    It runs inside the transaction of the change (an outbox row or a follow-up it writes commits or
    rolls back with it). Subscribing the same function twice has no effect.
    """
    if (entity_type, subscriber) not in _subscribers:
        _subscribers.append((entity_type, subscriber))


View = Callable[[Any], dict[str, Any]]


def fields(*names: str, skills: bool = False) -> View:
    """A view of an entity for the log: these columns, and its skill codes if asked."""

    def view(obj: Any) -> dict[str, Any]:
        values = snapshot(obj, names)
        if skills:
            values["skills"] = [s.code for s in obj.skills]
        return values

    return view


@contextmanager
def recording(
    session: Session,
    *,
    actor: Actor,
    entity: Any,
    entity_type: str,
    view: View,
    action: str = "updated",
    order_id: int | None = None,
    ticket_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Log what the block changes in ``view(entity)`` as one event; the block may add to the payload."""
    before = view(entity)
    payload: dict[str, Any] = {}
    yield payload
    session.flush()
    old, new = changed(before, view(entity))
    record(
        session,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity.id,
        order_id=order_id,
        ticket_id=ticket_id,
        action=action,
        before=old,
        after=new,
        payload=payload,
    )


def for_order(session: Session, *, order_id: int) -> list[Event]:
    """The order's timeline, oldest first (callers check the actor may see the order)."""
    stmt = select(Event).where(Event.order_id == order_id).order_by(Event.id)
    return list(session.scalars(stmt))


def for_ticket(session: Session, *, ticket_id: int, order_ids: Iterable[int] = ()) -> list[Event]:
    """A ticket's timeline with the events of its linked orders, oldest first (callers check access)."""
    condition = Event.ticket_id == ticket_id
    ids = list(order_ids)
    if ids:
        condition = condition | Event.order_id.in_(ids)
    return list(session.scalars(select(Event).where(condition).order_by(Event.id)))


EVENT_SORT = Sort({"id": Event.id, "at": Event.at}, default="-id")


def list_events(
    session: Session,
    *,
    actor: Actor,
    entity_type: str | None = None,
    entity_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Event]:
    """The event log with filters; for admins and dispatchers."""
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not read the event log (allowed: %(allowed)s).")
    )
    stmt = select(Event)
    if entity_type:
        stmt = stmt.where(Event.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(Event.entity_id == entity_id)
    if action:
        stmt = stmt.where(Event.action == action)
    if since is not None:
        stmt = stmt.where(Event.at >= since)
    return paginate(session, EVENT_SORT.apply(stmt, sort), page=page, page_size=page_size)
