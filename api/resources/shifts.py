"""Shifts — ``/api/v1/shifts``."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Id, When
from dispatch.shifts import service as shifts
from dispatch.shifts.models import Shift

blp = blueprint("shifts", "/shifts", "Engineers' working hours and breaks")


class ShiftSchema(Schema):
    """A shift; times with a UTC offset. The break is taken inside [break_earliest, break_latest]."""

    id = fields.Integer(dump_only=True)
    engineer_id = Id(required=True)
    day = fields.Date(metadata={"description": "local working day; derived from starts_at if absent"})
    starts_at = When(required=True)
    ends_at = When(required=True)
    break_earliest = When(allow_none=True)
    break_latest = When(allow_none=True)
    break_duration_s = fields.Integer(validate=validate.Range(0, 4 * 3600))


class ShiftUpdateSchema(ShiftSchema, PartialSchema):
    """Fields to change (the engineer stays)."""

    class Meta:
        exclude = ("engineer_id",)


class ShiftQuery(SortArgs):
    """Filters."""

    engineer_id = Id()
    team_id = Id()
    day = fields.Date()
    date_from = fields.Date()
    date_to = fields.Date()


@blp.route("")
class Shifts(View):
    """List and add shifts."""

    @blp.arguments(ShiftQuery, location="query")
    @blp.response(200, ShiftSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Shift]:
        """List shifts."""
        result = shifts.list_shifts(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)

    @blp.arguments(ShiftSchema)
    @blp.response(201, ShiftSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The engineer already has a shift that day")
    def post(self, data: dict[str, Any]) -> Shift:
        """Add a shift."""
        return shifts.create(
            database.session(),
            actor=actor(),
            default_time_zone=current_app.config["DISPATCH"].default_time_zone,
            **data,
        )


@blp.route("/<id:shift_id>")
class ShiftById(View):
    """One shift."""

    @blp.response(200, ShiftSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such shift")
    def get(self, shift_id: int) -> Shift:
        """Read a shift."""
        return shifts.get_or_raise(database.session(), actor=actor(), shift_id=shift_id)

    @blp.arguments(ShiftUpdateSchema)
    @blp.response(200, ShiftSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such shift")
    def patch(self, changes: dict[str, Any], shift_id: int) -> Shift:
        """Move a shift."""
        return shifts.update(database.session(), actor=actor(), shift_id=shift_id, changes=changes)

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such shift")
    def delete(self, shift_id: int) -> None:
        """Remove a shift."""
        shifts.delete(database.session(), actor=actor(), shift_id=shift_id)
