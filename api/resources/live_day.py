"""The day as it stands — ``/api/v1/live-day``: routes timed as they are, and the orders waiting."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Text, When
from api.resources.plan_schemas import DAY, RouteSchema, StopSchema, UnassignedSchema
from dispatch.planning import live

blp = blueprint(
    "live_day", "/live-day", "The engineers' day as it stands: published, booked since, and waiting"
)


class LiveDayQuery(Schema):
    """Which day."""

    day = fields.Date(required=True, validate=DAY, metadata={"description": "local working day"})


class LiveStopSchema(StopSchema):
    """A visit on a route as the day stands."""

    since_published = fields.Boolean(
        metadata={"description": "not on this engineer's route in the published plan (booked or moved since)"}
    )

    class Meta:
        exclude = ("why", "previous_engineer_id", "previous_start", "change")


class LiveRouteSchema(RouteSchema):
    """One engineer's day as it stands."""

    breaks = fields.List(fields.List(Text()))  # type: ignore[assignment]
    stops = fields.List(fields.Nested(LiveStopSchema))  # type: ignore[assignment]


class WaitingSchema(UnassignedSchema):
    """An order on no route: waiting for a plan, or no longer kept by its route (with the reason)."""

    class Meta:
        exclude = ("previous_engineer_id",)


class LiveDaySchema(Schema):
    """The day's routes as they stand, the orders on none, and the latest published plan."""

    day = fields.Date()
    time_zone = Text()
    published_plan_id = fields.Function(
        lambda d: d.published_plan.id if d.published_plan else None,
        allow_none=True,
        metadata={"type": "integer"},
    )
    published_at = fields.Function(
        lambda d: When().serialize("published_at", d.published_plan) if d.published_plan else None,
        allow_none=True,
        metadata={"type": "string", "format": "date-time"},
    )
    routes = fields.List(fields.Nested(LiveRouteSchema))
    waiting = fields.List(fields.Nested(WaitingSchema))


@blp.route("")
class LiveDay(View):
    """The live day."""

    @blp.arguments(LiveDayQuery, location="query")
    @blp.response(200, LiveDaySchema)
    def get(self, args: dict[str, Any]) -> live.LiveDay:
        """Every engineer's route as it stands (published, booked since, moved by hand), timed; the orders waiting."""
        return live.live_day(
            database.session(),
            actor=actor(),
            day=args["day"],
            time_zone=current_app.config["DISPATCH"].default_time_zone,
        )
