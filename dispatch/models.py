"""Import every model so that the metadata is complete (Alembic and tests use this)."""

import dispatch.complaints.hooks  # complaints need root cause and responsibility to finish
import dispatch.notifications.hooks  # ticket changes tell the customer and the agent (event subscribers)
import dispatch.sla.hooks
import dispatch.surveys.hooks  # a completed visit or resolved ticket asks for a rating
import dispatch.tickets.hooks  # noqa: F401 - tickets react to order events (incomplete visits)
from dispatch.attachments.models import Attachment
from dispatch.booking.models import BookingDay, TrackingLink
from dispatch.calendars.models import BusinessCalendar, CalendarDay
from dispatch.catalog.models import ServiceType, Skill
from dispatch.complaints.models import Complaint, RootCause
from dispatch.customers.models import Customer, CustomerContact
from dispatch.db import Base
from dispatch.engineers.models import Engineer, Team
from dispatch.events.models import Event
from dispatch.idempotency.models import IdempotencyKey
from dispatch.kb.models import (
    Article,
    ArticleFeedback,
    ArticleSection,
    ArticleVersion,
    KbCategory,
    SelfService,
)
from dispatch.mail.models import InboundAttachment, InboundMail, MailboxState
from dispatch.notifications.models import DeliveryAttempt, Notification, WebhookEndpoint
from dispatch.orders.models import Order, OrderTimeWindow
from dispatch.planning.models import Plan, PlanRoute, PlanStop, PlanUnassigned
from dispatch.positions.models import EngineerPosition
from dispatch.quality.models import QualityReview, RubricItem
from dispatch.reports.models import DailyAggregate
from dispatch.routing.models import DeskAgent, DeskTeam, DeskTeamMember, RoutingRule
from dispatch.shifts.models import Shift
from dispatch.sites.models import Site
from dispatch.sla.models import SlaClock, SlaPolicy
from dispatch.surveys.models import Survey
from dispatch.tickets.models import Ticket, TicketAttachment, TicketCategory, TicketMessage, TicketOrder
from dispatch.users.models import RevokedToken, User
from dispatch.visits.models import VisitNote

__all__ = [
    "Article",
    "ArticleFeedback",
    "ArticleSection",
    "ArticleVersion",
    "Attachment",
    "Base",
    "BookingDay",
    "BusinessCalendar",
    "CalendarDay",
    "Complaint",
    "Customer",
    "CustomerContact",
    "DailyAggregate",
    "DeliveryAttempt",
    "DeskAgent",
    "DeskTeam",
    "DeskTeamMember",
    "Engineer",
    "EngineerPosition",
    "Event",
    "IdempotencyKey",
    "InboundAttachment",
    "InboundMail",
    "KbCategory",
    "MailboxState",
    "Notification",
    "Order",
    "OrderTimeWindow",
    "Plan",
    "PlanRoute",
    "PlanStop",
    "PlanUnassigned",
    "QualityReview",
    "RevokedToken",
    "RootCause",
    "RoutingRule",
    "RubricItem",
    "SelfService",
    "ServiceType",
    "Shift",
    "Site",
    "Skill",
    "SlaClock",
    "SlaPolicy",
    "Survey",
    "Team",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketMessage",
    "TicketOrder",
    "TrackingLink",
    "User",
    "VisitNote",
    "WebhookEndpoint",
]
