"""Events: one row per change, never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from dispatch.db import Base, utcnow


class Event(Base):
    """One change: the actor, the time, the entity, the action, before/after and extra payload."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    """The ticket whose timeline shows this event (tickets are never deleted, so no foreign key)."""
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    payload: Mapped[dict[str, Any] | None]


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an event."""


@event.listens_for(Event, "before_update")
def _refuse_update(_mapper: Mapper[Any], _conn: Any, target: Event) -> None:
    raise AppendOnlyError(f"event {target.id} is part of the append-only log and cannot change")


@event.listens_for(Event, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _conn: Any, target: Event) -> None:
    raise AppendOnlyError(f"event {target.id} is part of the append-only log and cannot be deleted")
