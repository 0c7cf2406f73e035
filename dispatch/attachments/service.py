"""Attach photos and signatures to a job, read them back, and say what completion still needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, Role, require_role
from dispatch.attachments import images
from dispatch.attachments.models import Attachment, AttachmentKind
from dispatch.attachments.storage import BlobStore, digest_of
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus
from dispatch.statuses import status_word

FIELD_ROLES = PLANNERS | {Role.ENGINEER}


def upload(
    session: Session,
    store: BlobStore,
    *,
    actor: Actor,
    order_id: int,
    attachment_id: str,
    kind: AttachmentKind,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    signer_name: str | None = None,
    caption: str | None = None,
    taken_at: datetime | None = None,
) -> tuple[Attachment, bool]:
    """Store an image for an on-site job under the device's id; returns it and whether it is new.

    The same id with the same bytes is the same upload (nothing changes); the same id with other
    bytes is a 409. Only the job's engineer and planners may attach, and only while on site.
    """
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    require_role(
        actor,
        FIELD_ROLES,
        to=_("Your role (%(role)s) may not attach photos or signatures (allowed: %(allowed)s)."),
    )
    digest = digest_of(data)
    existing = session.get(Attachment, attachment_id)
    if existing is not None:
        if existing.order_id != order.id or existing.sha256 != digest or existing.kind is not kind:
            raise Conflict(
                _(
                    "attachment %(attachment_id)s already exists with other content: make a new id for a new image",
                    attachment_id=attachment_id,
                ),
                errors={"attachment_id": ["already used"]},
            )
        return existing, False
    if order.status is not OrderStatus.ON_SITE:
        raise Conflict(
            _(
                "photos and signatures are taken on site; order %(number)s is %(status)s",
                number=order.number,
                status=status_word(order.status),
            ),
            errors={"current_status": order.status.value},
        )
    name = (signer_name or "").strip()
    if kind is AttachmentKind.SIGNATURE and not name:
        raise Invalid("a signature needs the signer's name", errors={"signer_name": ["required"]})
    info = images.inspect(data, max_bytes=max_bytes, max_pixels=max_pixels)
    store.put(data)
    attachment = Attachment(
        id=attachment_id,
        order_id=order.id,
        kind=kind,
        sha256=digest,
        content_type=info.content_type,
        size_bytes=len(data),
        width=info.width,
        height=info.height,
        signer_name=name or None,
        caption=(caption or "").strip() or None,
        taken_at=taken_at,
        uploaded_by=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="attachment",
        entity_id=order.id,
        order_id=order.id,
        action=f"{kind.value}_added",
        payload={"attachment_id": attachment.id, "signer_name": attachment.signer_name},
    )
    return attachment, True


def get_or_raise(session: Session, *, actor: Actor, attachment_id: str) -> Attachment:
    """The attachment, if the actor may see its order (else :class:`NotFound`)."""
    attachment = session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.order_id is None
        or orders.get(session, actor=actor, order_id=attachment.order_id) is None
    ):
        raise NotFound(_("attachment %(attachment_id)s not found", attachment_id=attachment_id))
    return attachment


def upload_unlinked(
    session: Session,
    store: BlobStore,
    *,
    actor: Actor,
    attachment_id: str,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    caption: str | None = None,
) -> tuple[Attachment, bool]:
    """Store a photo that belongs to no order (a ticket links it); returns it and whether it is new.

    The caller checks who may attach it to what. The same id with the same bytes is the same upload;
    an id already used for other bytes, or for an order's image, is a 409.
    """
    digest = digest_of(data)
    existing = session.get(Attachment, attachment_id)
    if existing is not None:
        if existing.order_id is not None or existing.sha256 != digest:
            raise Conflict(
                _(
                    "attachment %(id)s already exists with other content: make a new id for a new image",
                    id=attachment_id,
                ),
                errors={"attachment_id": ["already used"]},
            )
        return existing, False
    info = images.inspect(data, max_bytes=max_bytes, max_pixels=max_pixels)
    store.put(data)
    attachment = Attachment(
        id=attachment_id,
        order_id=None,
        kind=AttachmentKind.PHOTO,
        sha256=digest,
        content_type=info.content_type,
        size_bytes=len(data),
        width=info.width,
        height=info.height,
        caption=(caption or "").strip() or None,
        uploaded_by=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    return attachment, True


def content(store: BlobStore, attachment: Attachment) -> bytes:
    """The image bytes of an attachment."""
    try:
        return store.get(attachment.sha256)
    except FileNotFoundError as exc:
        raise NotFound(_("the file of attachment %(id)s is missing from storage", id=attachment.id)) from exc


def for_order(session: Session, *, actor: Actor, order_id: int) -> list[Attachment]:
    """The order's attachments, oldest first, if the actor may see the order."""
    orders.get_or_raise(session, actor=actor, order_id=order_id)
    stmt = select(Attachment).where(Attachment.order_id == order_id).order_by(Attachment.created_at)
    return list(session.scalars(stmt))


def photos_needed(order: Order) -> int:
    """How many photos the order's service type asks for before completion."""
    stype = order.service_type
    return max(stype.min_photos, 1 if stype.photos_required else 0)


def missing_evidence(session: Session, order: Order, referenced: Sequence[str] = ()) -> dict[str, Any]:
    """What completion still lacks: referenced ids not arrived, photos short, signature absent."""
    rows = session.execute(
        select(Attachment.kind, func.count()).where(Attachment.order_id == order.id).group_by(Attachment.kind)
    )
    counts: dict[AttachmentKind, int] = {row[0]: row[1] for row in rows}
    missing: dict[str, Any] = {}
    if referenced:
        arrived = set(
            session.scalars(
                select(Attachment.id).where(
                    Attachment.order_id == order.id, Attachment.id.in_(list(referenced))
                )
            )
        )
        absent = [a for a in referenced if a not in arrived]
        if absent:
            missing["attachment_ids"] = [f"{a} has not arrived" for a in absent]
    needed = photos_needed(order)
    have = counts.get(AttachmentKind.PHOTO, 0)
    if have < needed:
        missing["photos"] = [f"{needed} needed, {have} taken"]
    if order.service_type.signature_required and not counts.get(AttachmentKind.SIGNATURE):
        missing["signature"] = ["the customer's signature is required"]
    return missing
