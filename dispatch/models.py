"""Import every model so that the metadata is complete (Alembic and tests use this)."""

from dispatch.attachments.models import Attachment
from dispatch.booking.models import BookingDay, TrackingLink
from dispatch.catalog.models import ServiceType, Skill
from dispatch.customers.models import Customer, CustomerContact
from dispatch.db import Base
from dispatch.engineers.models import Engineer, Team
from dispatch.events.models import Event
from dispatch.idempotency.models import IdempotencyKey
from dispatch.orders.models import Order, OrderTimeWindow
from dispatch.planning.models import Plan, PlanRoute, PlanStop, PlanUnassigned
from dispatch.positions.models import EngineerPosition
from dispatch.shifts.models import Shift
from dispatch.sites.models import Site
from dispatch.users.models import RevokedToken, User
from dispatch.visits.models import VisitNote

__all__ = [
    "Attachment",
    "Base",
    "BookingDay",
    "Customer",
    "CustomerContact",
    "Engineer",
    "EngineerPosition",
    "Event",
    "IdempotencyKey",
    "Order",
    "OrderTimeWindow",
    "Plan",
    "PlanRoute",
    "PlanStop",
    "PlanUnassigned",
    "RevokedToken",
    "ServiceType",
    "Shift",
    "Site",
    "Skill",
    "Team",
    "TrackingLink",
    "User",
    "VisitNote",
]
