"""Orders and their acceptable time windows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.catalog.models import ServiceType, Skill
from dispatch.customers.models import Customer
from dispatch.db import Base, Timestamps, enum_type
from dispatch.engineers.models import Engineer, Team
from dispatch.sites.models import Site


class OrderStatus(StrEnum):
    """Where an order is in its life (see :mod:`dispatch.orders.states`)."""

    NEW = "new"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"


class Priority(StrEnum):
    """How much it matters that the order is served today; urgent beats everything."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    """How the order reached us."""

    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"
    AGENT = "agent"
    API = "api"
    MOBILE = "mobile"


order_skills = Table(
    "order_skills",
    Base.metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="RESTRICT"), primary_key=True),
)


class Order(Timestamps, Base):
    """An on-site service order: a visit to a customer's site inside one of their windows."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("duration_s > 0", name="positive_duration"),
        CheckConstraint("sequence IS NULL OR sequence >= 0", name="sequence_not_negative"),
        Index("ix_orders_status_scheduled_start", "status", "scheduled_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineers.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus, "order_status"), default=OrderStatus.NEW
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(enum_type(Priority, "order_priority"), default=Priority.NORMAL)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "order_channel"), default=Channel.API)
    duration_s: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    pinned: Mapped[bool] = mapped_column(default=False)
    scheduled_start: Mapped[datetime | None]
    sequence: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)
    service_type: Mapped[ServiceType] = relationship(lazy="joined", innerjoin=True)
    team: Mapped[Team | None] = relationship(lazy="joined")
    engineer: Mapped[Engineer | None] = relationship(lazy="joined")
    time_windows: Mapped[list[OrderTimeWindow]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderTimeWindow.starts_at",
        lazy="selectin",
    )
    skills: Mapped[list[Skill]] = relationship(secondary=order_skills, order_by="Skill.code", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        """The order number people read out on the phone."""
        return format_number(self.id)


class OrderTimeWindow(Base):
    """A window in which the customer is home and the visit may start."""

    __tablename__ = "order_time_windows"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="time_windows")


NUMBER_PREFIX = "WO-"


def format_number(order_id: int) -> str:
    """Format an order id as its public number (``WO-000042``)."""
    return f"{NUMBER_PREFIX}{order_id:06d}"


def parse_number(number: str) -> int | None:
    """Return the order id a public number stands for, or None if it is not one."""
    text = number.strip().upper()
    if text.startswith(NUMBER_PREFIX):
        text = text[len(NUMBER_PREFIX) :]
    return int(text) if text.isdigit() else None
