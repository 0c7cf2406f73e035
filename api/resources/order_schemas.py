"""Marshmallow schemas of orders and their actions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

from api.common import PartialSchema, SortArgs
from api.fields import Id, Text, TimeWindowSchema, When
from api.resources.catalog import SkillCodes
from dispatch.i18n import _
from dispatch.orders import states
from dispatch.orders.models import Channel, Order, OrderStatus, Priority
from dispatch.orders.service import MAX_DURATION_S, MAX_WINDOWS, Window

REASON = validate.Length(min=1, max=2000)


class WindowSchema(TimeWindowSchema):
    """A window in which the visit may start (times with a UTC offset, at most seven days long)."""


def windows(data: list[dict[str, Any]]) -> list[Window]:
    """Turn loaded window dicts into service windows."""
    return [Window(w["starts_at"], w["ends_at"]) for w in data]


WINDOWS = fields.List(
    fields.Nested(WindowSchema), required=True, validate=validate.Length(min=1, max=MAX_WINDOWS)
)


class CustomerRef(Schema):
    """The customer, briefly."""

    id = Id()
    name = Text()
    tier = Text(attribute="tier.value")


class SiteRef(Schema):
    """The site, briefly."""

    id = Id()
    address = Text()
    latitude = fields.Float()
    longitude = fields.Float()
    access_notes = Text()
    time_zone = Text()


class ServiceTypeRef(Schema):
    """The service type, briefly."""

    id = Id()
    code = Text()
    name = Text()
    photos_required = fields.Boolean()
    signature_required = fields.Boolean()
    min_photos = fields.Integer()


class NamedRef(Schema):
    """An engineer or team, briefly."""

    id = Id()
    name = Text()


class OrderSchema(Schema):
    """An on-site service order."""

    id = Id()
    number = Text()
    status = fields.Enum(OrderStatus, by_value=True)
    status_reason = Text()
    priority = fields.Enum(Priority, by_value=True)
    channel = fields.Enum(Channel, by_value=True)
    customer = fields.Nested(CustomerRef)
    site = fields.Nested(SiteRef)
    service_type = fields.Nested(ServiceTypeRef)
    team = fields.Nested(NamedRef, allow_none=True)
    engineer = fields.Nested(NamedRef, allow_none=True)
    time_windows = fields.List(fields.Nested(WindowSchema))
    duration_s = fields.Integer()
    skills = SkillCodes()
    description = Text()
    external_ref = Text(allow_none=True)
    pinned = fields.Boolean()
    scheduled_start = When(allow_none=True)
    sequence = fields.Integer(allow_none=True)
    version = fields.Integer(metadata={"description": 'also sent as the ETag "v<version>"'})
    allowed_actions = fields.Method("get_actions", metadata={"type": "array", "items": {"type": "string"}})
    created_at = When()
    updated_at = When()

    def get_actions(self, order: Order) -> list[str]:
        """What the state machine allows next."""
        return states.allowed_actions(order.status)


class OrderCreateSchema(Schema):
    """A booking. Duration and skills default to the service type's."""

    customer_id = Id(load_default=None, metadata={"description": "defaults to the site's customer"})
    site_id = Id(required=True)
    service_type_id = Id(required=True)
    time_windows = WINDOWS
    priority = fields.Enum(Priority, by_value=True, load_default=Priority.NORMAL)
    channel = fields.Enum(Channel, by_value=True, load_default=None)
    duration_s = fields.Integer(load_default=None, validate=validate.Range(1, MAX_DURATION_S))
    skills = SkillCodes(load_default=None)
    description = Text(load_default="", validate=validate.Length(max=5000))
    team_id = Id(load_default=None)
    external_ref = Text(load_default=None, validate=validate.Length(min=1, max=100))
    pinned = fields.Boolean(load_default=False)


class OrderUpdateSchema(PartialSchema):
    """Details a dispatcher or agent may change; windows change through reschedule."""

    description = Text(validate=validate.Length(max=5000))
    priority = fields.Enum(Priority, by_value=True)
    channel = fields.Enum(Channel, by_value=True)
    duration_s = fields.Integer(validate=validate.Range(1, MAX_DURATION_S))
    skills = SkillCodes()
    team_id = Id(allow_none=True)
    external_ref = Text(allow_none=True, validate=validate.Length(min=1, max=100))
    pinned = fields.Boolean()


class OrderQuery(SortArgs):
    """Filters for the order list; lists are comma separated."""

    status = DelimitedList(fields.Enum(OrderStatus, by_value=True))
    priority = DelimitedList(fields.Enum(Priority, by_value=True))
    customer_id = Id()
    site_id = Id()
    engineer_id = Id()
    team_id = Id()
    service_type_id = Id()
    unassigned = fields.Boolean()
    pinned = fields.Boolean()
    window_from = When(metadata={"description": "has a window ending after this"})
    window_to = When(metadata={"description": "has a window starting before this"})
    scheduled_from = When()
    scheduled_to = When()
    q = Text(metadata={"description": "order number, external ref or part of the description"})


class ReasonSchema(Schema):
    """Why (required)."""

    reason = Text(required=True, validate=REASON)


class OptionalReasonSchema(Schema):
    """Why (optional)."""

    reason = Text(load_default=None, validate=REASON)


class RescheduleSchema(Schema):
    """New windows for the visit."""

    time_windows = WINDOWS
    reason = Text(load_default=None, validate=REASON)


class AssignSchema(Schema):
    """Give the order to an engineer."""

    engineer_id = Id(required=True)
    scheduled_start = When(load_default=None)
    sequence = fields.Integer(load_default=None, validate=validate.Range(0, 10_000))
    pinned = fields.Boolean(load_default=None)


class TransferSchema(Schema):
    """Hand the order to another engineer or team."""

    engineer_id = Id(load_default=None)
    team_id = Id(load_default=None)
    scheduled_start = When(load_default=None)
    reason = Text(required=True, validate=REASON)

    @validates_schema
    def one_target(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Exactly one of engineer_id and team_id."""
        if (data.get("engineer_id") is None) == (data.get("team_id") is None):
            raise ValidationError([_("give exactly one of engineer_id and team_id")], "engineer_id")


class CompleteSchema(Schema):
    """Closing notes, and the photos / signature the device uploaded for this completion."""

    notes = Text(load_default=None, validate=validate.Length(max=5000))
    attachment_ids = fields.List(
        Text(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$")),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "ids of uploaded attachments this completion relies on (409 if one is missing)"
        },
    )


class CheckInSchema(Schema):
    """Where the phone was on arrival; the server measures the distance to the site."""

    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))
    recorded_at = When(load_default=None, allow_none=True)

    @validates_schema
    def both_or_neither(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A position needs both coordinates."""
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError([_("give both latitude and longitude, or neither")], "latitude")
