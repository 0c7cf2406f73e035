"""Who is writing? One function every channel calls to find the customer behind an email, a phone
number or an external id, and the review queue of senders nobody could be matched to.

A sender we do not know gets a new customer with one contact flagged for review: an agent then
links that contact to the right existing customer (its tickets move along) or confirms it as new.
Nothing is ever merged silently, and a number shared by several customers is not guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, require_role
from dispatch.customers.models import Customer, CustomerContact
from dispatch.customers.service import get_or_raise, normalize_phone
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, paginate


@dataclass(frozen=True)
class Sender:
    """What a channel knows about who wrote: any of email, phone, external id, and a name."""

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Recognition:
    """The customer (and contact) a sender is, how we knew, and whether an agent must review it."""

    customer: Customer
    contact: CustomerContact | None
    matched_by: str
    """``external_id``, ``email``, ``phone``, or ``new`` for a sender nobody was matched to."""
    needs_review: bool = False
    candidates: list[int] = field(default_factory=list)
    """Customers the sender might be (a phone number several of them share); the reviewer picks."""


def phone_variants(phone: str, region: str) -> list[str]:
    """The stored forms one phone number may have (``+441614960000``, ``01614960000``, ...).

    Numbers are stored as typed, digits kept (see :func:`normalize_phone`); a number said with or
    without its country code is the same number, so every form it may have been stored in is looked
    up (with the index on the phone columns).
    """
    variants = {normalize_phone(phone)}
    try:
        parsed = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        return sorted(v for v in variants if v)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = normalize_phone(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    variants |= {e164, e164[1:], "00" + e164[1:], national, str(parsed.national_number)}
    return sorted(v for v in variants if v)


def _clean_email(email: str | None) -> str | None:
    text = (email or "").strip().lower()
    return text or None


def recognise(
    session: Session, *, actor: Actor, sender: Sender, channel: str, phone_region: str = "GB"
) -> Recognition:
    """Find the customer a sender is, by external id, then email, then phone; or record a new one for review."""
    require_role(
        actor,
        STAFF,
        to=_("Your role (%(role)s) may not look customers up by who wrote (allowed: %(allowed)s)."),
    )
    email = _clean_email(sender.email)
    phone = (sender.phone or "").strip() or None
    external_id = (sender.external_id or "").strip() or None
    if not (email or phone or external_id):
        raise Invalid(
            _("say who the customer is: an email, a phone number or an external id"),
            errors={"sender": ["give email, phone or external_id"]},
        )
    if external_id:
        customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
        if customer is not None:
            return Recognition(customer, _primary(customer), "external_id")
    if email:
        found = _by_email(session, email)
        if found is not None:
            return found
    candidates: list[int] = []
    if phone:
        found, candidates = _by_phone(session, phone, phone_region)
        if found is not None:
            return found
    return _new_for_review(
        session, actor=actor, sender=sender, email=email, phone=phone, channel=channel, candidates=candidates
    )


def _primary(customer: Customer) -> CustomerContact | None:
    return next((c for c in customer.contacts if c.is_primary), None)


def _by_email(session: Session, email: str) -> Recognition | None:
    customer = session.scalar(select(Customer).where(Customer.email == email))
    if customer is not None:
        return Recognition(customer, _primary(customer), "email")
    contacts = list(
        session.scalars(
            select(CustomerContact)
            .where(func.lower(CustomerContact.email) == email)
            .order_by(CustomerContact.id)
        )
    )
    owners = {c.customer_id for c in contacts}
    if len(owners) == 1:
        return Recognition(contacts[0].customer, contacts[0], "email")
    return None


def _by_phone(session: Session, phone: str, region: str) -> tuple[Recognition | None, list[int]]:
    variants = phone_variants(phone, region)
    customers = list(
        session.scalars(select(Customer).where(Customer.phone.in_(variants)).order_by(Customer.id))
    )
    contacts = list(
        session.scalars(
            select(CustomerContact).where(CustomerContact.phone.in_(variants)).order_by(CustomerContact.id)
        )
    )
    owners = {c.id for c in customers} | {c.customer_id for c in contacts}
    if len(owners) == 1:
        if customers:
            return Recognition(customers[0], _primary(customers[0]), "phone"), []
        return Recognition(contacts[0].customer, contacts[0], "phone"), []
    return None, sorted(owners)


def _new_for_review(
    session: Session,
    *,
    actor: Actor,
    sender: Sender,
    email: str | None,
    phone: str | None,
    channel: str,
    candidates: list[int],
) -> Recognition:
    name = (sender.name or "").strip()[:200] or email or phone or sender.external_id or "?"
    taken = email is not None and session.scalar(select(Customer.id).where(Customer.email == email))
    contact = CustomerContact(
        name=name,
        email=email,
        phone=normalize_phone(phone) if phone else None,
        role="",
        is_primary=True,
        needs_review=True,
    )
    customer = Customer(
        name=name,
        email=None if taken else email,
        phone=normalize_phone(phone) if phone else None,
        notes="",
        contacts=[contact],
    )
    session.add(customer)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="customer",
        entity_id=customer.id,
        action="recognised_new",
        after={"name": name, "email": email, "phone": contact.phone},
        payload={"channel": channel, "contact_id": contact.id, "candidates": candidates},
    )
    return Recognition(customer, contact, "new", needs_review=True, candidates=candidates)


def review_queue(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 50
) -> Page[CustomerContact]:
    """Contacts made for senders nobody was matched to, oldest first, for an agent to link or confirm."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not review new contacts (allowed: %(allowed)s).")
    )
    stmt = select(CustomerContact).where(CustomerContact.needs_review.is_(True)).order_by(CustomerContact.id)
    return paginate(session, stmt, page=page, page_size=page_size)


def _contact_for_review(session: Session, contact_id: int) -> CustomerContact:
    contact = session.get(CustomerContact, contact_id)
    if contact is None:
        raise NotFound(_("contact %(id)s not found", id=contact_id))
    if not contact.needs_review:
        raise Conflict(
            _("contact %(id)s has been reviewed already", id=contact_id),
            errors={"contact_id": ["not waiting for review"]},
        )
    return contact


def confirm_new(session: Session, *, actor: Actor, contact_id: int) -> CustomerContact:
    """The sender really is a new customer: clear the review flag."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not review new contacts (allowed: %(allowed)s).")
    )
    contact = _contact_for_review(session, contact_id)
    contact.needs_review = False
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="customer",
        entity_id=contact.customer_id,
        action="contact_confirmed",
        payload={"contact_id": contact.id},
    )
    return contact


def link_to(session: Session, *, actor: Actor, contact_id: int, customer_id: int) -> CustomerContact:
    """The sender is a contact of an existing customer: move the contact and its tickets there.

    The customer made for the sender is removed when nothing else (sites, orders, logins) hangs on it.
    """
    from dispatch.orders.models import Order
    from dispatch.sites.models import Site
    from dispatch.tickets.models import Ticket
    from dispatch.users.models import User

    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not review new contacts (allowed: %(allowed)s).")
    )
    contact = _contact_for_review(session, contact_id)
    target = get_or_raise(session, actor=actor, customer_id=customer_id)
    provisional = contact.customer
    if target.id == provisional.id:
        raise Invalid(
            _("link the contact to another customer, or confirm it as new"),
            errors={"customer_id": ["the contact already belongs to this customer"]},
        )
    moved = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == provisional.id)))
    session.execute(update(Ticket).where(Ticket.customer_id == provisional.id).values(customer_id=target.id))
    provisional.contacts.remove(contact)
    contact.customer_id = target.id
    contact.is_primary = False
    contact.needs_review = False
    target.contacts.append(contact)
    session.flush()
    for ticket_id in moved:
        events.record(
            session,
            actor=actor,
            entity_type="ticket",
            entity_id=ticket_id,
            ticket_id=ticket_id,
            action="customer_linked",
            before={"customer_id": provisional.id},
            after={"customer_id": target.id},
            payload={"contact_id": contact.id},
        )
    events.record(
        session,
        actor=actor,
        entity_type="customer",
        entity_id=target.id,
        action="contact_linked",
        payload={"contact_id": contact.id, "from_customer_id": provisional.id, "tickets": moved},
    )
    still_used = (
        provisional.contacts
        or session.scalar(select(Site.id).where(Site.customer_id == provisional.id).limit(1))
        or session.scalar(select(Order.id).where(Order.customer_id == provisional.id).limit(1))
        or session.scalar(select(User.id).where(User.customer_id == provisional.id).limit(1))
    )
    if not still_used:
        session.execute(delete(Customer).where(Customer.id == provisional.id))
        session.expunge(provisional)
    return contact
