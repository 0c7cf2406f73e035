"""Notes and parts on a job, the check-in distance, and the visit report customers see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, Role, require_role
from dispatch.attachments import service as attachments
from dispatch.attachments.models import Attachment, AttachmentKind
from dispatch.errors import Conflict, Invalid
from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus
from dispatch.visits.models import VisitNote

FAR_FROM_SITE_M = 300.0
"""A check-in further than this from the site is flagged for the dispatcher."""

NOTE_STATUSES = frozenset({OrderStatus.ON_SITE, OrderStatus.COMPLETED, OrderStatus.INCOMPLETE})


@dataclass(frozen=True)
class Position:
    """A point the phone measured, with its accuracy radius and the device's time."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None
    recorded_at: datetime | None = None


def check_in_payload(
    order: Order, position: Position | None, *, far_m: float = FAR_FROM_SITE_M
) -> dict[str, Any]:
    """The check-in's position and its distance from the site (geodesic), flagged when too far."""
    if position is None:
        return {"position": None, "distance_m": None, "far_from_site": None}
    distance = geodesic(
        (position.latitude, position.longitude), (order.site.latitude, order.site.longitude)
    ).meters
    return {
        "position": {
            "latitude": position.latitude,
            "longitude": position.longitude,
            "accuracy_m": position.accuracy_m,
            "recorded_at": position.recorded_at.isoformat() if position.recorded_at else None,
        },
        "distance_m": round(distance, 1),
        "far_from_site": distance > far_m,
    }


def add_note(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    note_id: str,
    text: str,
    parts: Sequence[Mapping[str, Any]] = (),
    recorded_at: datetime | None = None,
) -> tuple[VisitNote, bool]:
    """Record a note and parts used on a job under the device's id; returns it and whether it is new."""
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    require_role(
        actor,
        PLANNERS | {Role.ENGINEER},
        to=_("Your role (%(role)s) may not record notes on jobs (allowed: %(allowed)s)."),
    )
    clean_parts = [
        {
            "name": str(p["name"]).strip(),
            "quantity": int(p.get("quantity", 1)),
            "part_number": (str(p.get("part_number") or "").strip() or None),
        }
        for p in parts
    ]
    body = text.strip()
    existing = session.get(VisitNote, note_id)
    if existing is not None:
        if existing.order_id != order.id or existing.text != body or existing.parts["items"] != clean_parts:
            raise Conflict(
                f"note {note_id} already exists with other content: make a new id for a new note",
                errors={"note_id": ["already used"]},
            )
        return existing, False
    if not body and not clean_parts:
        raise Invalid("write a note or list the parts used", errors={"text": ["empty note"]})
    if any(not p["name"] for p in clean_parts):
        raise Invalid("every part needs a name", errors={"parts": ["name required"]})
    if order.status not in NOTE_STATUSES:
        raise Conflict(
            f"notes are written on site; order {order.number} is {order.status.value}",
            errors={"current_status": order.status.value},
        )
    note = VisitNote(
        id=note_id,
        order_id=order.id,
        author_user_id=actor.user_id,
        text=body,
        parts={"items": clean_parts},
        recorded_at=recorded_at,
    )
    session.add(note)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="visit_note",
        entity_id=order.id,
        order_id=order.id,
        action="note_added",
        payload={"note_id": note.id, "text": body, "parts": clean_parts},
    )
    return note, True


def notes(session: Session, *, actor: Actor, order_id: int) -> list[VisitNote]:
    """The notes and parts recorded on an order the actor may see, oldest first (from any phone)."""
    return _notes_of(session, orders.get_or_raise(session, actor=actor, order_id=order_id))


def _notes_of(session: Session, order: Order) -> list[VisitNote]:
    stmt = select(VisitNote).where(VisitNote.order_id == order.id)
    return list(session.scalars(stmt.order_by(VisitNote.created_at, VisitNote.id)))


@dataclass
class VisitReport:
    """What the customer and the office read about a visit."""

    order: Order
    engineer_name: str | None
    checked_in_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    distance_m: float | None = None
    far_from_site: bool | None = None
    notes: list[VisitNote] = field(default_factory=list)
    photos: list[Attachment] = field(default_factory=list)
    signature: Attachment | None = None
    closing_notes: str | None = None
    follow_up_needed: bool = False


def report(session: Session, *, actor: Actor, order_id: int) -> VisitReport:
    """The visit report of an order the actor may see (photos, signature, notes, parts, times)."""
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    result = VisitReport(order=order, engineer_name=order.engineer.name if order.engineer else None)
    stmt = select(Event).where(
        Event.order_id == order.id, Event.action.in_(["check_in", "complete", "mark_incomplete"])
    )
    for ev in session.scalars(stmt.order_by(Event.id)):
        payload = ev.payload or {}
        if ev.action == "check_in":
            result.checked_in_at = ev.at
            result.distance_m = payload.get("distance_m")
            result.far_from_site = payload.get("far_from_site")
        else:
            result.finished_at = ev.at
            result.outcome = "completed" if ev.action == "complete" else "incomplete"
            result.closing_notes = payload.get("notes") or payload.get("reason")
            result.follow_up_needed = bool(payload.get("follow_up_needed"))
    result.notes = _notes_of(session, order)
    for attachment in attachments.for_order(session, actor=actor, order_id=order.id):
        if attachment.kind is AttachmentKind.SIGNATURE:
            result.signature = attachment  # the latest signature counts
        else:
            result.photos.append(attachment)
    return result
