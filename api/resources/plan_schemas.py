"""Marshmallow schemas of plans: the request, progress, routes, stops and what a re-plan changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate

from api.common import SortArgs
from api.fields import Id, Text, When
from api.resources.catalog import SkillCodes
from dispatch.db import utcnow
from dispatch.planning import service as planning
from dispatch.planning.models import Plan, PlanKind, PlanStatus, PlanStop

DAY = validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31))


class PlanRequestSchema(Schema):
    """What to plan."""

    day = fields.Date(required=True, validate=DAY, metadata={"description": "local working day"})
    team_id = Id(metadata={"description": "plan one team's engineers and orders"})
    region = Text(
        validate=validate.Length(min=1, max=200), metadata={"description": "or every team of a region"}
    )
    time_limit_s = fields.Integer(
        load_default=30,
        validate=validate.Range(min=planning.MIN_TIME_LIMIT_S, max=planning.MAX_TIME_LIMIT_S),
        metadata={"description": "seconds the optimizer may search"},
    )
    kind = fields.Enum(
        PlanKind,
        by_value=True,
        load_default=PlanKind.FULL,
        metadata={"description": "full: plan the day afresh; replan: start from the published day, now"},
    )


class PlanQuery(SortArgs):
    """Filters of the plan list."""

    day = fields.Date(validate=DAY)
    status = fields.Enum(PlanStatus, by_value=True)


class ProgressSchema(Schema):
    """How far a plan is."""

    elapsed_s = fields.Float()
    time_limit_s = fields.Integer()
    fraction = fields.Float(metadata={"description": "0..1 of the time limit used"})
    best_distance_m = fields.Integer(allow_none=True, metadata={"description": "best plan so far, metres"})
    best_assigned = fields.Integer(allow_none=True, metadata={"description": "orders that plan places"})


def progress(plan: Plan) -> dict[str, Any]:
    """Elapsed time against the limit, and the best distance known."""
    elapsed = 0.0
    if plan.started_at is not None:
        end = plan.finished_at or utcnow()
        elapsed = max(0.0, (end - plan.started_at).total_seconds())
    fraction = 1.0 if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING) else 0.0
    if plan.status is PlanStatus.RUNNING:
        fraction = min(0.99, elapsed / plan.time_limit_s)
    return {
        "elapsed_s": round(elapsed, 1),
        "time_limit_s": plan.time_limit_s,
        "fraction": round(fraction, 3),
        "best_distance_m": plan.best_distance_m,
        "best_assigned": plan.best_assigned,
    }


class PlanSummarySchema(Schema):
    """A plan without its routes."""

    id = Id()
    day = fields.Date()
    team_id = fields.Integer(allow_none=True)
    region = Text()
    time_zone = Text()
    kind = fields.Enum(PlanKind, by_value=True)
    status = fields.Enum(PlanStatus, by_value=True)
    message = Text()
    time_limit_s = fields.Integer()
    attempts = fields.Integer()
    created_at = When()
    started_at = When(allow_none=True)
    finished_at = When(allow_none=True)
    computed_at = When(allow_none=True, metadata={"description": "when the orders were read"})
    published_at = When(allow_none=True)
    solver = Text()
    totals = fields.Dict(allow_none=True)
    progress = fields.Function(progress, metadata={"description": "elapsed, limit, best distance so far"})


class StopSchema(Schema):
    """One visit on a route."""

    order_id = Id()
    number = Text(attribute="order.number")
    sequence = fields.Integer()
    arrives_at = When()
    starts_at = When()
    departs_at = When()
    travel_time_s = fields.Integer()
    travel_distance_m = fields.Integer()
    why = Text(attribute="why_text")
    fixed = fields.Boolean()
    status = Text(attribute="order.status.value")
    service_type = Text(attribute="order.service_type.name")
    address = Text(attribute="order.site.address")
    latitude = fields.Float(attribute="order.site.latitude")
    longitude = fields.Float(attribute="order.site.longitude")
    time_windows = fields.Method("windows")
    skills = SkillCodes(attribute="order.skills")
    previous_engineer_id = fields.Integer(allow_none=True)
    previous_start = When(allow_none=True)
    change = Text(metadata={"description": "new, reassigned, retimed or unchanged against the published day"})

    def windows(self, stop: PlanStop) -> list[dict[str, str]]:
        """The order's windows."""
        return [
            {"starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat()}
            for w in stop.order.time_windows
        ]


STOPS = StopSchema(many=True)


class RouteSchema(Schema):
    """One engineer's planned day."""

    engineer_id = Id()
    engineer_name = Text(attribute="engineer.name")
    home_latitude = fields.Float(attribute="engineer.home_latitude")
    home_longitude = fields.Float(attribute="engineer.home_longitude")
    departs_at = When()
    returns_at = When()
    travel_distance_m = fields.Integer()
    travel_time_s = fields.Integer()
    breaks = fields.Function(lambda r: (r.breaks or {}).get("breaks", []))
    stops = fields.Method("timed_stops")

    def timed_stops(self, route: Any) -> list[dict[str, Any]]:
        """Stops with their change against the published day."""
        out: list[dict[str, Any]] = STOPS.dump(route.stops)
        for data, stop in zip(out, route.stops, strict=True):
            data["change"] = planning.stop_change(stop, route.engineer_id)
        return out


class UnassignedSchema(Schema):
    """An order the plan leaves out."""

    order_id = Id()
    number = Text(attribute="order.number")
    reason = Text()
    detail = Text(attribute="detail_text")
    previous_engineer_id = fields.Integer(allow_none=True)
    skills = SkillCodes(attribute="order.skills")
    address = Text(attribute="order.site.address")
    latitude = fields.Float(attribute="order.site.latitude")
    longitude = fields.Float(attribute="order.site.longitude")


class PlanSchema(PlanSummarySchema):
    """A plan with its routes, what it leaves out, and what it changes against the published day."""

    routes = fields.List(fields.Nested(RouteSchema))
    unassigned = fields.List(fields.Nested(UnassignedSchema))
    changes = fields.Function(planning.changes)


class MoveSchema(Schema):
    """Put an order on an engineer's route in a plan, checked by the optimizer."""

    order_id = Id(required=True)
    engineer_id = Id(required=True)
    pinned = fields.Boolean(load_default=False, metadata={"description": "keep it there in later re-plans"})
