"""Complaints — ``/api/v1/complaints`` (the record of each complaint ticket) and the root-cause tree
``/api/v1/complaint-causes`` (admins edit it)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema

from api import database
from api.auth import actor
from api.common import IF_MATCH_DOC, blueprint, etag, if_match
from api.database import View
from api.resources.complaint_schemas import (
    ComplaintQuery,
    ComplaintSchema,
    ComplaintUpdateSchema,
    RootCauseQuery,
    RootCauseSchema,
    RootCauseUpdateSchema,
)
from dispatch.complaints import causes
from dispatch.complaints import service as complaints
from dispatch.complaints.models import Complaint, RootCause
from dispatch.config import Settings

blp = blueprint("complaints", "/complaints", "Complaints: grade, responsibility, root cause, compensation")
causes_blp = blueprint("complaint_causes", "/complaint-causes", "The root-cause tree of complaints")

Reply = tuple[dict[str, Any], int, dict[str, str]]


def limits() -> complaints.Limits:
    """The compensation limits and the repeat window from the settings."""
    settings: Settings = current_app.config["DISPATCH"]
    return complaints.Limits(
        agent=settings.complaint_limit_agent_minor,
        lead=settings.complaint_limit_lead_minor,
        repeat_days=settings.complaint_repeat_days,
    )


def _view(complaint: Complaint) -> dict[str, Any]:
    session = database.session()
    limit = complaints.limit_of(session, actor(), limits())
    return complaints.describe(session, complaint=complaint, your_limit=limit)


@blp.route("")
class Complaints(View):
    """Complaints, newest first."""

    @blp.arguments(ComplaintQuery, location="query")
    @blp.response(200, ComplaintSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only staff work complaints")
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List complaint records (``repeat=true``: the repeats of a cause for a customer or engineer)."""
        session, who, known = database.session(), actor(), limits()
        found = complaints.list_complaints(session, actor=who, **args)
        limit = complaints.limit_of(session, who, known)  # the same for every row
        return [complaints.describe(session, complaint=c, your_limit=limit) for c in found]


@blp.route("/<id:ticket_id>")
class ComplaintById(View):
    """The complaint record of a complaint ticket."""

    @blp.response(200, ComplaintSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket")
    @blp.alt_response(409, schema=ErrorSchema, description="The ticket is not a complaint")
    def get(self, ticket_id: int) -> Reply:
        """Read it (empty until filled; version 0); the ETag comes in the header."""
        found = complaints.get_or_raise(database.session(), actor=actor(), ticket_id=ticket_id)
        return _view(found), 200, {"ETag": etag(found.version or 0)}

    @blp.arguments(ComplaintUpdateSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Compensation above your role's limit")
    @blp.alt_response(404, schema=ErrorSchema, description="No such ticket")
    @blp.alt_response(409, schema=ErrorSchema, description="Not a complaint, or the ticket is closed")
    @blp.alt_response(412, schema=ErrorSchema, description="Changed since you read it")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown cause, team, engineer or order")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @blp.doc(**IF_MATCH_DOC)
    def patch(self, changes: dict[str, Any], ticket_id: int) -> Reply:
        """Fill or change the complaint record; a repeat of the same cause is flagged."""
        found = complaints.update(
            database.session(),
            actor=actor(),
            ticket_id=ticket_id,
            expected_version=if_match(),
            changes=changes,
            limits=limits(),
        )
        return _view(found), 200, {"ETag": etag(found.version)}


@causes_blp.route("")
class RootCauses(View):
    """The tree."""

    @causes_blp.arguments(RootCauseQuery, location="query")
    @causes_blp.response(200, RootCauseSchema(many=True))
    @causes_blp.alt_response(403, schema=ErrorSchema, description="Only staff")
    def get(self, args: dict[str, Any]) -> list[RootCause]:
        """Every root cause, parents before children."""
        return causes.list_causes(database.session(), actor=actor(), **args)

    @causes_blp.arguments(RootCauseSchema)
    @causes_blp.response(201, RootCauseSchema)
    @causes_blp.alt_response(403, schema=ErrorSchema, description="Only admins")
    @causes_blp.alt_response(409, schema=ErrorSchema, description="Same name under the same parent")
    @causes_blp.alt_response(422, schema=ErrorSchema, description="No such parent, a loop or too deep")
    def post(self, data: dict[str, Any]) -> RootCause:
        """Add a root cause."""
        return causes.create(database.session(), actor=actor(), **data)


@causes_blp.route("/<id:cause_id>")
class RootCauseById(View):
    """One root cause."""

    @causes_blp.response(200, RootCauseSchema)
    @causes_blp.alt_response(404, schema=ErrorSchema, description="No such root cause")
    def get(self, cause_id: int) -> RootCause:
        """Read a root cause."""
        return causes.get_or_raise(database.session(), actor=actor(), cause_id=cause_id)

    @causes_blp.arguments(RootCauseUpdateSchema)
    @causes_blp.response(200, RootCauseSchema)
    @causes_blp.alt_response(403, schema=ErrorSchema, description="Only admins")
    @causes_blp.alt_response(422, schema=ErrorSchema, description="A loop or too deep")
    def patch(self, data: dict[str, Any], cause_id: int) -> RootCause:
        """Rename, move or retire a root cause."""
        return causes.update(database.session(), actor=actor(), cause_id=cause_id, changes=data)

    @causes_blp.response(204)
    @causes_blp.alt_response(403, schema=ErrorSchema, description="Only admins")
    @causes_blp.alt_response(409, schema=ErrorSchema, description="Used by complaints or has sub-causes")
    def delete(self, cause_id: int) -> None:
        """Remove an unused root cause."""
        causes.delete(database.session(), actor=actor(), cause_id=cause_id)
