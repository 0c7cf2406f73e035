"""Customers and their contacts."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps, enum_type

if TYPE_CHECKING:
    from dispatch.sites.models import Site


class CustomerTier(StrEnum):
    """Service level the customer has bought; planning and SLAs weigh it."""

    STANDARD = "standard"
    VIP = "vip"
    KEY_ACCOUNT = "key_account"


class Customer(Timestamps, Base):
    """A household or business that books visits; found by email, phone or external id."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    tier: Mapped[CustomerTier] = mapped_column(
        enum_type(CustomerTier, "customer_tier"), default=CustomerTier.STANDARD
    )
    notes: Mapped[str] = mapped_column(Text, default="")

    contacts: Mapped[list[CustomerContact]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="CustomerContact.id",
        lazy="selectin",
    )
    sites: Mapped[list[Site]] = relationship(back_populates="customer", order_by="Site.id")


class CustomerContact(Base):
    """A person to call about the customer's visits (tenant, landlord, site manager)."""

    __tablename__ = "customer_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(60), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    """The language the contact reads our emails in; None: the company's default."""
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    """Made for a sender no customer was recognised by: an agent links it or confirms it as new."""

    customer: Mapped[Customer] = relationship(back_populates="contacts")
