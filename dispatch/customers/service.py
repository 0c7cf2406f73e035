"""Customers: create, find by email/phone/external id, update; scoped by who is asking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.customers.models import Customer, CustomerContact, CustomerTier
from dispatch.errors import Conflict, Forbidden, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.orders.models import Order

_AUDITED = ("name", "email", "phone", "external_id", "tier", "notes")
_VIEW = events.fields(*_AUDITED)


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a customer query to what the actor may see."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.CUSTOMER:
        return stmt.where(Customer.id == actor.customer_id)
    if actor.role is Role.ENGINEER:
        mine = select(Order.customer_id).where(Order.engineer_id == actor.engineer_id)
        return stmt.where(Customer.id.in_(mine))
    return stmt.where(false())


def get(session: Session, *, actor: Actor, customer_id: int) -> Customer | None:
    """Return the customer if it exists and the actor may see it, else None."""
    found: Customer | None = session.scalar(
        visible(select(Customer).where(Customer.id == customer_id), actor)
    )
    return found


def get_or_raise(session: Session, *, actor: Actor, customer_id: int) -> Customer:
    """Return the customer or raise :class:`NotFound`."""
    customer = get(session, actor=actor, customer_id=customer_id)
    if customer is None:
        raise NotFound(_("customer %(customer_id)s not found", customer_id=customer_id))
    return customer


CUSTOMER_SORT = Sort(
    {
        "id": Customer.id,
        "name": Customer.name,
        "tier": Customer.tier,
        "created_at": Customer.created_at,
    },
    default="name",
)


def list_customers(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    tier: CustomerTier | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Customer]:
    """List the customers the actor may see; ``q`` matches name, email, phone or external id."""
    stmt = visible(select(Customer), actor)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                Customer.name.ilike(like),
                Customer.email.ilike(like),
                Customer.phone.ilike(like),
                Customer.external_id.ilike(like),
            )
        )
    if email:
        stmt = stmt.where(Customer.email == email.strip().lower())
    if phone:
        stmt = stmt.where(Customer.phone == normalize_phone(phone))
    if external_id:
        stmt = stmt.where(Customer.external_id == external_id)
    if tier is not None:
        stmt = stmt.where(Customer.tier == tier)
    return paginate(session, CUSTOMER_SORT.apply(stmt, sort), page=page, page_size=page_size)


def normalize_phone(phone: str) -> str:
    """Keep a leading + and digits, so that the same number is found however it was typed."""
    text = phone.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"+{digits}" if text.startswith("+") else digits


def _check_identifiers_free(
    session: Session, *, email: str | None, external_id: str | None, customer_id: int | None
) -> None:
    errors: dict[str, list[str]] = {}
    for name, column, value in (
        ("email", Customer.email, email),
        ("external_id", Customer.external_id, external_id),
    ):
        if value is None:
            continue
        clash = session.scalar(select(Customer.id).where(column == value, Customer.id != (customer_id or 0)))
        if clash is not None:
            errors[name] = [f"already used by customer {clash}"]
    if errors:
        raise Conflict("another customer has the same identifier", errors=errors)


def _contacts(items: Sequence[Mapping[str, Any]]) -> list[CustomerContact]:
    return [
        CustomerContact(
            name=c["name"],
            email=(c.get("email") or "").strip().lower() or None,
            phone=normalize_phone(c["phone"]) if c.get("phone") else None,
            role=c.get("role", ""),
            is_primary=bool(c.get("is_primary", False)),
        )
        for c in items
    ]


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    tier: CustomerTier = CustomerTier.STANDARD,
    notes: str = "",
    contacts: Sequence[Mapping[str, Any]] = (),
) -> Customer:
    """Record a new customer (staff only)."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not create customers (allowed: %(allowed)s)."))
    email = email.strip().lower() if email else None
    _check_identifiers_free(session, email=email, external_id=external_id, customer_id=None)
    customer = Customer(
        name=name.strip(),
        email=email,
        phone=normalize_phone(phone) if phone else None,
        external_id=external_id,
        tier=tier,
        notes=notes,
        contacts=_contacts(contacts),
    )
    session.add(customer)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="customer",
        entity_id=customer.id,
        action="created",
        after=events.snapshot(customer, _AUDITED) | {"contacts": len(customer.contacts)},
    )
    return customer


def update(session: Session, *, actor: Actor, customer_id: int, changes: Mapping[str, Any]) -> Customer:
    """Change a customer; customers may edit their own contact details but not their tier."""
    if actor.role is Role.ENGINEER:
        raise Forbidden(_("An engineer may not change customers."))
    customer = get_or_raise(session, actor=actor, customer_id=customer_id)
    if actor.role is Role.CUSTOMER and ({"tier", "external_id", "notes"} & set(changes)):
        raise Forbidden(_("A customer may not change their tier, external id or internal notes."))
    email = changes.get("email", customer.email)
    email = email.strip().lower() if email else None
    _check_identifiers_free(
        session,
        email=email,
        external_id=changes.get("external_id", customer.external_id),
        customer_id=customer.id,
    )
    with events.recording(
        session, actor=actor, entity=customer, entity_type="customer", view=_VIEW
    ) as payload:
        customer.email = email
        if "phone" in changes:
            customer.phone = normalize_phone(changes["phone"]) if changes["phone"] else None
        for name in ("name", "external_id", "tier", "notes"):
            if name in changes:
                setattr(customer, name, changes[name])
        if "contacts" in changes:
            customer.contacts = _contacts(changes["contacts"])
            payload["contacts"] = len(customer.contacts)
    return customer
