"""The rows booking adds: a lock row per day, and the unguessable tracking link of an order."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, utcnow
from dispatch.orders.models import Order


class BookingDay(Base):
    """One row per local day that has been booked: bookings for the day serialise on it."""

    __tablename__ = "booking_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    bookings: Mapped[int] = mapped_column(default=0)


def new_token() -> str:
    """An unguessable tracking token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


class TrackingLink(Base):
    """The capability to follow one order without logging in: whoever has the token sees its status.

    The token is stored as is, not hashed: it opens less than the order row beside it shows, and
    the customer may ask for their link again at any time.
    """

    __tablename__ = "tracking_links"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(lazy="joined", innerjoin=True)
