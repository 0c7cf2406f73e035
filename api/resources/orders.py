"""Orders and their life — ``/api/v1/orders``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, url_for
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema

from api import database
from api.auth import actor
from api.common import IF_MATCH_DOC, blueprint, etag, if_match, page_items, paging
from api.database import View
from api.idempotency import PARAMETER as IDEMPOTENCY_PARAMETER
from api.idempotency import idempotent
from api.resources.booking import policy as booking_policy
from api.resources.events import EventSchema
from api.resources.order_schemas import (
    AssignSchema,
    CheckInSchema,
    CompleteSchema,
    OptionalReasonSchema,
    OrderCreateSchema,
    OrderQuery,
    OrderSchema,
    OrderUpdateSchema,
    ReasonSchema,
    RescheduleSchema,
    TransferSchema,
    windows,
)
from dispatch.access import Role
from dispatch.booking import service as booking
from dispatch.config import Settings
from dispatch.db import utcnow
from dispatch.events.models import Event
from dispatch.orders import actions
from dispatch.orders import service as orders
from dispatch.orders.models import Order
from dispatch.visits.service import Position

blp = blueprint("orders", "/orders", "On-site service orders and their life (ETag / If-Match on writes)")

Reply = tuple[Order, int, dict[str, str]]


def _reply(order: Order, status: int = 200, **headers: str) -> Reply:
    return order, status, {"ETag": etag(order.version), **headers}


@blp.route("")
class Orders(View):
    """List and book orders."""

    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, OrderSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Order]:
        """List the orders you may see."""
        result = orders.list_orders(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)

    @idempotent
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(
        422,
        schema=ErrorSchema,
        description="Invalid windows, unknown site, service type or skill, or the Idempotency-Key was used for another request",
    )
    @blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, data: dict[str, Any]) -> Reply:
        """Book an order (an ``Idempotency-Key`` makes a retry create it once and replay the answer)."""
        data["time_windows"] = windows(data["time_windows"])
        order = orders.create(database.session(), actor=actor(), **data)
        location = url_for("orders.OrderById", order_id=order.id)
        return _reply(order, 201, Location=location)


@blp.route("/<id:order_id>")
class OrderById(View):
    """One order."""

    @blp.response(200, OrderSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> Reply:
        """Read an order (its ETag comes in the header)."""
        return _reply(orders.get_or_raise(database.session(), actor=actor(), order_id=order_id))

    @blp.arguments(OrderUpdateSchema)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such order")
    @blp.alt_response(409, schema=ErrorSchema, description="The order is closed")
    @blp.alt_response(412, schema=ErrorSchema, description="Changed since you read it")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @blp.doc(**IF_MATCH_DOC)
    def patch(self, changes: dict[str, Any], order_id: int) -> Reply:
        """Change an order's details."""
        order = orders.update(
            database.session(),
            actor=actor(),
            order_id=order_id,
            expected_version=if_match(),
            changes=changes,
        )
        return _reply(order)


@blp.route("/<id:order_id>/events")
class OrderTimeline(View):
    """What happened to the order."""

    @blp.response(200, EventSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> list[Event]:
        """The order's timeline, oldest first."""
        return orders.timeline(database.session(), actor=actor(), order_id=order_id)


def _action(
    path: str,
    summary: str,
    run: Callable[..., Order],
    schema: type[Schema] | None = None,
) -> None:
    """Register ``POST /orders/<id>/<path>`` that runs one order action under If-Match."""

    def post(self: View, *args: Any, **kwargs: Any) -> Reply:
        body: dict[str, Any] = args[0] if args else {}
        order = run(
            database.session(),
            actor=actor(),
            order_id=kwargs["order_id"],
            expected_version=if_match(),
            **body,
        )
        return _reply(order)

    post.__doc__ = summary
    decorated = blp.doc(parameters=[*IF_MATCH_DOC["parameters"], IDEMPOTENCY_PARAMETER])(post)
    for code, text in (
        (404, "No such order, or not yours"),
        (409, "Not allowed from the order's current status"),
        (412, "Changed since you read it"),
        (428, "If-Match missing"),
    ):
        decorated = blp.alt_response(code, schema=ErrorSchema, description=text)(decorated)
    decorated = blp.response(200, OrderSchema)(decorated)
    if schema is not None:
        decorated = blp.arguments(schema)(decorated)
    decorated = idempotent(decorated)  # outermost: a retry is answered before any precondition
    name = "Order" + "".join(part.title() for part in path.split("-"))
    view = type(name, (View,), {"post": decorated, "__doc__": summary})
    blp.route(f"/<id:order_id>/{path}")(view)


def _field(action: str) -> Callable[..., Order]:
    def run(session: Any, **kwargs: Any) -> Order:
        return actions.field_action(session, action=action, **kwargs)

    return run


def _check_in(session: Any, **kwargs: Any) -> Order:
    position = None
    if kwargs.get("latitude") is not None:
        position = Position(
            kwargs["latitude"], kwargs["longitude"], kwargs["accuracy_m"], kwargs["recorded_at"]
        )
    for name in ("latitude", "longitude", "accuracy_m", "recorded_at"):
        kwargs.pop(name, None)
    settings: Settings = current_app.config["DISPATCH"]
    return actions.field_action(
        session, action="check_in", position=position, field_rules_on=settings.field_rules, **kwargs
    )


def _customer_deadline(session: Any, what: str, **kwargs: Any) -> None:
    """Customers change their visits within the booking policy here too, not only on /bookings."""
    who = kwargs["actor"]
    if who.role is Role.CUSTOMER:
        order = orders.get_or_raise(session, actor=who, order_id=kwargs["order_id"])
        booking.check_deadline(order, actor=who, policy=booking_policy(), now=utcnow(), what=what)


def _cancel(session: Any, **kwargs: Any) -> Order:
    _customer_deadline(session, "cancelled", **kwargs)
    return actions.cancel(session, **kwargs)


def _reschedule(session: Any, **kwargs: Any) -> Order:
    _customer_deadline(session, "moved", **kwargs)
    kwargs["time_windows"] = windows(kwargs["time_windows"])
    return actions.reschedule(session, **kwargs)


_action("cancel", "Cancel the order (before the engineer is on site).", _cancel, ReasonSchema)
_action(
    "reschedule",
    "Replace the order's time windows; it is planned again.",
    _reschedule,
    RescheduleSchema,
)
_action("transfer", "Hand the order to another engineer or team.", actions.transfer, TransferSchema)
_action("assign", "Give the order to an engineer.", actions.assign, AssignSchema)
_action("unassign", "Take the order off its engineer.", actions.unassign, OptionalReasonSchema)
_action("dispatch", "Send a scheduled order to its engineer.", actions.dispatch)
_action("accept", "The engineer accepts the job.", _field("accept"))
_action("decline", "The engineer gives the job back, saying why.", _field("decline"), ReasonSchema)
_action("start-travel", "The engineer sets off.", _field("start_travel"))
_action(
    "check-in",
    "The engineer arrives on site (with the phone's position: over 300 m from the site is flagged).",
    _check_in,
    CheckInSchema,
)
_action(
    "complete",
    "The job is done (an engineer needs the photos and signature the service type asks for).",
    _field("complete"),
    CompleteSchema,
)
_action(
    "incomplete",
    "On site but not finished: needs a follow-up visit.",
    _field("mark_incomplete"),
    ReasonSchema,
)
