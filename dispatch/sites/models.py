"""Sites where visits happen."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base, Timestamps, enum_type

if TYPE_CHECKING:
    from dispatch.customers.models import Customer


class LocationSource(StrEnum):
    """Where a site's coordinates came from."""

    GIVEN = "given"
    GEOCODED = "geocoded"


class Site(Timestamps, Base):
    """An address of a customer's, with coordinates that are never made up."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(500))
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country_code: Mapped[str] = mapped_column(String(2), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    location_source: Mapped[LocationSource] = mapped_column(enum_type(LocationSource, "location_source"))
    access_notes: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))

    customer: Mapped[Customer] = relationship(back_populates="sites")
