"""Route-aware booking — ``/api/v1/slots``, ``/api/v1/bookings`` and the public ``/api/v1/tracking``."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Id, Text, When
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.resources.order_schemas import OrderSchema
from api.resources.sites import geocoder
from dispatch.booking import service as booking
from dispatch.booking import tracking
from dispatch.booking.models import TrackingLink
from dispatch.booking.slots import Policy, Slot
from dispatch.config import Settings
from dispatch.i18n import _
from dispatch.orders.models import Order, OrderStatus
from dispatch.orders.service import Window
from dispatch.sites import service as sites

slots_blp = blueprint("slots", "/slots", "Time windows a visit can still be booked in, against the live plan")
bookings_blp = blueprint("bookings", "/bookings", "Book a visit in a feasible window; move or cancel it")
tracking_blp = Blueprint(
    "tracking", __name__, url_prefix="/api/v1/tracking", description="Follow a visit with its tracking link"
)


def settings() -> Settings:
    """This app's settings."""
    configured: Settings = current_app.config["DISPATCH"]
    return configured


def policy() -> Policy:
    """The booking policy configured for this app."""
    return Policy.from_settings(settings())


class PlaceSchema(Schema):
    """Where the visit is: coordinates, or an address the geocoder can find."""

    address = Text(validate=validate.Length(max=500))
    latitude = fields.Float(validate=validate.Range(-90, 90))
    longitude = fields.Float(validate=validate.Range(-180, 180))


class SlotQuery(PlaceSchema):
    """A service type, a place (one of the customer's sites, an address, or coordinates) and a day."""

    service_type_id = Id(required=True)
    site_id = Id(metadata={"description": "a site you may see: its coordinates and time zone are used"})
    day = fields.Date(required=True, metadata={"description": "the local day, e.g. 2026-11-24"})


class SlotSchema(Schema):
    """A window the live plan can keep, best first (least extra driving, then earliest)."""

    starts_at = fields.AwareDateTime(metadata={"description": "UTC"})
    ends_at = fields.AwareDateTime()
    local_starts_at = fields.AwareDateTime(metadata={"description": "in the place's time zone"})
    local_ends_at = fields.AwareDateTime()
    time_zone = Text()
    rank = fields.Integer()
    expected_start = fields.AwareDateTime(metadata={"description": "when the engineer would start, today"})
    extra_distance_m = fields.Integer(metadata={"description": "extra driving the visit adds to the route"})


class BookingCreateSchema(PlaceSchema):
    """A booking: the service, the window chosen from the slots, and the place (a site or a new one)."""

    service_type_id = Id(required=True)
    starts_at = When(required=True)
    ends_at = When(required=True)
    site_id = Id()
    customer_id = Id(metadata={"description": "staff booking for a customer; customers book for themselves"})
    description = Text(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _somewhere(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("site_id") is None and not data.get("address") and data.get("latitude") is None:
            raise ValidationError([_("give site_id, an address, or latitude and longitude")], "site_id")


class BookingSchema(Schema):
    """A booked visit, its tracking link, and until when the customer may change it online."""

    order = fields.Nested(OrderSchema)
    tracking_url = Text()
    change_deadline = fields.AwareDateTime(allow_none=True)


class CancelSchema(Schema):
    """Why the visit is cancelled."""

    reason = Text(load_default="cancelled by the customer", validate=validate.Length(min=1, max=2000))


class BookingMoveSchema(Schema):
    """The new window, one of the day's slots."""

    starts_at = When(required=True)
    ends_at = When(required=True)


class TrackingSchema(Schema):
    """What the tracking link shows."""

    number = Text()
    status = fields.Enum(OrderStatus, by_value=True)
    headline = Text()
    service = Text()
    engineer_first_name = Text(allow_none=True)
    window_starts_at = fields.AwareDateTime(allow_none=True)
    window_ends_at = fields.AwareDateTime(allow_none=True)
    eta = fields.AwareDateTime(allow_none=True)
    time_zone = Text()
    updated_at = fields.AwareDateTime()


def place(args: dict[str, Any]) -> booking.Place:
    """The place of a query: a site's, or geocoded when only an address was given."""
    if args.get("site_id") is not None:
        site = sites.get_or_raise(database.session(), actor=actor(), site_id=args["site_id"])
        return booking.Place(site.latitude, site.longitude, site.time_zone)
    return booking.resolve_place(
        address=args.get("address"),
        latitude=args.get("latitude"),
        longitude=args.get("longitude"),
        geocoder=geocoder(),
        default_time_zone=settings().default_time_zone,
    )


def booking_reply(order: Order, link: TrackingLink) -> dict[str, Any]:
    """The booking as the API and pages show it."""
    return {
        "order": order,
        "tracking_url": url_for("customer.track", token=link.token, _external=True),
        "change_deadline": booking.change_deadline(order, policy()),
    }


def slot_reply(slot: Slot) -> dict[str, Any]:
    """A slot for :class:`SlotSchema`."""
    return {
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "local_starts_at": slot.local_starts_at,
        "local_ends_at": slot.local_ends_at,
        "time_zone": slot.time_zone,
        "rank": slot.rank,
        "expected_start": slot.expected_start,
        "extra_distance_m": slot.extra_distance_m,
    }


@slots_blp.route("")
class Slots(View):
    """Feasible windows."""

    @slots_blp.arguments(SlotQuery, location="query")
    @slots_blp.response(200, SlotSchema(many=True))
    @slots_blp.alt_response(404, schema=ErrorSchema, description="No such site, or not yours")
    @slots_blp.alt_response(
        422, schema=ErrorSchema, description="Unknown service type, bad day, address not found"
    )
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The windows on a day that the live plan can still keep for this service at this place."""
        found = booking.find_slots(
            database.session(),
            actor=actor(),
            service_type_id=args["service_type_id"],
            day=args["day"],
            place=place(args),
            policy=policy(),
        )
        return [slot_reply(s) for s in found]


@bookings_blp.route("")
class Bookings(View):
    """Book a visit."""

    @idempotent
    @bookings_blp.arguments(BookingCreateSchema)
    @bookings_blp.response(201, BookingSchema)
    @bookings_blp.alt_response(
        409, schema=ErrorSchema, description="The window was just taken: fresh slots in errors.slots"
    )
    @bookings_blp.alt_response(404, schema=ErrorSchema, description="No such site, or not yours")
    @bookings_blp.alt_response(
        422,
        schema=ErrorSchema,
        description="Not an offered window, address not found, or the Idempotency-Key was used for another request",
    )
    @bookings_blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Book a visit in one of the offered windows; it goes straight onto an engineer's route.

        Send an ``Idempotency-Key`` so that a retry (lost answer, double tap) books once and gets
        the first answer again, with ``Idempotent-Replayed: true``.
        """
        order, link = booking.book(
            database.session(),
            actor=actor(),
            service_type_id=data["service_type_id"],
            window=Window(data["starts_at"], data["ends_at"]),
            policy=policy(),
            geocoder=geocoder(),
            default_time_zone=settings().default_time_zone,
            customer_id=data.get("customer_id"),
            site_id=data.get("site_id"),
            address=data.get("address"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            description=data["description"],
        )
        location = url_for("bookings.BookingById", order_id=order.id)
        return booking_reply(order, link), 201, {"Location": location}


@bookings_blp.route("/<id:order_id>")
class BookingById(View):
    """One booking."""

    @bookings_blp.response(200, BookingSchema)
    @bookings_blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> dict[str, Any]:
        """The booking with its tracking link."""
        link = tracking.link_for(database.session(), actor=actor(), order_id=order_id)
        return booking_reply(link.order, link)


@bookings_blp.route("/<id:order_id>/cancel")
class BookingCancel(View):
    """Cancel within the policy."""

    @bookings_blp.arguments(CancelSchema)
    @bookings_blp.response(200, BookingSchema)
    @bookings_blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    @bookings_blp.alt_response(
        409, schema=ErrorSchema, description="Too late to cancel online, or already under way"
    )
    def post(self, data: dict[str, Any], order_id: int) -> dict[str, Any]:
        """Cancel the visit (customers: until the policy's deadline before the window)."""
        session = database.session()
        order = booking.cancel(
            session, actor=actor(), order_id=order_id, reason=data["reason"], policy=policy()
        )
        return booking_reply(order, tracking.link_for(session, actor=actor(), order_id=order.id))


@bookings_blp.route("/<id:order_id>/reschedule")
class BookingReschedule(View):
    """Move to another window within the policy."""

    @bookings_blp.arguments(BookingMoveSchema)
    @bookings_blp.response(200, BookingSchema)
    @bookings_blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    @bookings_blp.alt_response(
        409, schema=ErrorSchema, description="Too late to move online, or the window was taken (fresh slots)"
    )
    @bookings_blp.alt_response(422, schema=ErrorSchema, description="Not an offered window")
    def post(self, data: dict[str, Any], order_id: int) -> dict[str, Any]:
        """Move the visit to another offered window; it goes onto the route that keeps it."""
        session = database.session()
        order = booking.reschedule(
            session,
            actor=actor(),
            order_id=order_id,
            window=Window(data["starts_at"], data["ends_at"]),
            policy=policy(),
        )
        return booking_reply(order, tracking.link_for(session, actor=actor(), order_id=order.id))


@tracking_blp.route("/<string:token>")
class TrackingByToken(View):
    """The public side of a tracking link."""

    @tracking_blp.response(200, TrackingSchema)
    @tracking_blp.alt_response(404, schema=ErrorSchema, description="No visit is tracked at this link")
    @tracking_blp.doc(security=[])
    def get(self, token: str) -> tracking.Tracking:
        """Status, engineer's first name, window and ETA of the visit this link follows (no login)."""
        return tracking.track(database.session(), token=token)
