"""Notes and parts, the visit report, and engineers' position pings."""

from __future__ import annotations

from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Id, Text, When
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from api.resources.attachments import AttachmentSchema, client_id
from api.resources.order_schemas import OrderSchema
from dispatch.positions import service as positions
from dispatch.positions.models import EngineerPosition
from dispatch.visits import service as visits
from dispatch.visits.models import VisitNote

blp = blueprint("visits", "", "What happened on a visit: notes, parts, the report; engineers' positions")


class PartSchema(Schema):
    """A part used on the job."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    part_number = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class NoteSchema(Schema):
    """A note on the job and the parts used."""

    text = Text(load_default="", validate=validate.Length(max=5000))
    parts = fields.List(fields.Nested(PartSchema), load_default=list, validate=validate.Length(max=100))
    recorded_at = When(load_default=None, allow_none=True)


class NoteOut(Schema):
    """A stored note."""

    id = Text()
    order_id = Id()
    text = Text()
    parts = fields.Function(
        lambda note: note.parts["items"], metadata={"type": "array", "items": {"type": "object"}}
    )
    recorded_at = When(allow_none=True)
    created_at = When()


@blp.route("/orders/<id:order_id>/notes/<note_id>")
class NoteById(View):
    """One note, named by the id the device made for it."""

    @idempotent
    @blp.arguments(NoteSchema)
    @blp.response(201, NoteOut)
    @blp.alt_response(200, schema=NoteOut, description="The same note was recorded before")
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    @blp.alt_response(409, schema=ErrorSchema, description="Not on site, or the id holds another note")
    @blp.doc(**IDEMPOTENCY_DOC)
    def put(self, data: dict[str, Any], order_id: int, note_id: str) -> tuple[VisitNote, int]:
        """Record notes and parts used on a job (append-only)."""
        note, created = visits.add_note(
            database.session(),
            actor=actor(),
            order_id=order_id,
            note_id=client_id(note_id, "note_id"),
            **data,
        )
        return note, 201 if created else 200


@blp.route("/orders/<id:order_id>/notes")
class Notes(View):
    """Every note of a job."""

    @blp.response(200, NoteOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> list[VisitNote]:
        """The notes and parts recorded on a job, oldest first, whichever phone wrote them."""
        return visits.notes(database.session(), actor=actor(), order_id=order_id)


class ReportSchema(Schema):
    """The visit report: what was done, with the photos and the customer's signature."""

    order = fields.Nested(OrderSchema)
    engineer_name = Text(allow_none=True)
    checked_in_at = When(allow_none=True)
    finished_at = When(allow_none=True)
    outcome = Text(allow_none=True, metadata={"description": "completed or incomplete"})
    closing_notes = Text(allow_none=True)
    follow_up_needed = fields.Boolean(metadata={"description": "incomplete: another visit is needed"})
    distance_m = fields.Float(allow_none=True, metadata={"description": "check-in distance from the site"})
    far_from_site = fields.Boolean(allow_none=True)
    notes = fields.List(fields.Nested(NoteOut))
    photos = fields.List(fields.Nested(AttachmentSchema))
    signature = fields.Nested(AttachmentSchema, allow_none=True)


@blp.route("/orders/<id:order_id>/report")
class VisitReport(View):
    """The visit report."""

    @blp.response(200, ReportSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> visits.VisitReport:
        """Read the visit report (customers read their own)."""
        return visits.report(database.session(), actor=actor(), order_id=order_id)


class PingSchema(Schema):
    """Where the phone is (sent only on shift, when the engineer opted in)."""

    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))
    recorded_at = When(required=True, metadata={"description": "when the phone measured it"})


class PositionSchema(Schema):
    """An engineer's latest kept position."""

    engineer_id = Id()
    latitude = fields.Float()
    longitude = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    recorded_at = When()
    received_at = When()


class PingResultSchema(Schema):
    """Whether the ping was kept."""

    stored = fields.Boolean()
    reason = Text()
    position = fields.Nested(PositionSchema, allow_none=True)


class PositionQuery(Schema):
    """Filter by engineers."""

    engineer_id = DelimitedList(Id())


@blp.route("/positions")
class Positions(View):
    """Engineers' latest positions (kept only during their shifts)."""

    @idempotent
    @blp.arguments(PingSchema)
    @blp.response(200, PingResultSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Only engineers send pings")
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]) -> positions.PingResult:
        """Send the engineer's position; kept only if taken during their shift (no track is kept)."""
        return positions.record_ping(database.session(), actor=actor(), **data)

    @blp.arguments(PositionQuery, location="query")
    @blp.response(200, PositionSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only planners see positions")
    def get(self, args: dict[str, Any]) -> list[EngineerPosition]:
        """The latest position of each engineer on shift."""
        return positions.list_latest(
            database.session(), actor=actor(), engineer_ids=args.get("engineer_id", ())
        )
