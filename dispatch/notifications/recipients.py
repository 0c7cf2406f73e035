"""Who a notification goes to, and in which language: the user's saved locale, else the contact's
language, else None (the company's default, decided when the message is rendered)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.customers.models import Customer, CustomerContact
from dispatch.notifications.outbox import Recipient
from dispatch.users.models import User


def customer(session: Session, customer_id: int, *, contact_id: int | None = None) -> Recipient | None:
    """The customer's contact for this matter (the ticket's, else the primary one), or None without an email."""
    found = session.get(Customer, customer_id)
    if found is None:
        return None
    contact = session.get(CustomerContact, contact_id) if contact_id is not None else None
    if contact is None or not contact.email:
        with_email = [c for c in found.contacts if c.email]
        contact = next((c for c in with_email if c.is_primary), with_email[0] if with_email else None)
    login = session.scalar(
        select(User).where(User.customer_id == customer_id, User.active.is_(True)).order_by(User.id).limit(1)
    )
    email = (
        (contact.email if contact is not None else None) or found.email or (login.email if login else None)
    )
    if not email:
        return None
    locale = (login.locale if login is not None else None) or (
        contact.locale if contact is not None else None
    )
    return Recipient(
        email=email,
        name=contact.name if contact is not None else found.name,
        locale=locale,
        user_id=login.id if login is not None else None,
        contact_id=contact.id if contact is not None else None,
    )


def user(session: Session, user_id: int | None) -> Recipient | None:
    """A staff user (their own address and saved language), or None."""
    if user_id is None:
        return None
    found = session.get(User, user_id)
    if found is None or not found.active:
        return None
    return Recipient(email=found.email, name=found.full_name, locale=found.locale, user_id=found.id)
