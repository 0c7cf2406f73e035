"""Quality review — ``/api/v1/quality``: the rubric, the week's sample, scoring, each agent's own
reviews and the scores per agent and week."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Id, Text, When
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from dispatch.config import Settings
from dispatch.quality import service as quality
from dispatch.quality.models import QualityReview, ReviewStatus, RubricItem, SampleSource

blp = blueprint("quality", "/quality", "Quality review: sampled closed tickets scored on a weighted rubric")


class RubricItemSchema(Schema):
    """One thing a reviewer checks."""

    id = Id(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    description = Text(load_default="", validate=validate.Length(max=2000))
    weight = fields.Integer(load_default=1, validate=validate.Range(1, 100))
    critical = fields.Boolean(load_default=False, metadata={"description": "failed: the review scores 0"})
    position = fields.Integer(load_default=0, validate=validate.Range(-1000, 1000))
    active = fields.Boolean(dump_only=True)


class RubricItemUpdateSchema(Schema):
    """What may change about a rubric item."""

    name = Text(validate=validate.Length(min=1, max=200))
    description = Text(validate=validate.Length(max=2000))
    weight = fields.Integer(validate=validate.Range(1, 100))
    critical = fields.Boolean()
    position = fields.Integer(validate=validate.Range(-1000, 1000))
    active = fields.Boolean()


class RubricQuery(Schema):
    """Which rubric items."""

    retired = fields.Boolean(
        load_default=False, metadata={"description": "leads: the retired items too (to put one back)"}
    )


class SampleSchema(Schema):
    """Which week to sample, and how many tickets per agent."""

    week = fields.Date(required=True, metadata={"description": "any day of the week (Monday to Sunday, UTC)"})
    per_agent = fields.Integer(validate=validate.Range(0, quality.MAX_PER_AGENT))


class ResultSchema(Schema):
    """A rubric item's verdict, as scored."""

    item_id = Id()
    name = Text()
    weight = fields.Integer()
    critical = fields.Boolean()
    passed = fields.Boolean()
    note = Text()


class ReviewSchema(Schema):
    """A sampled ticket's review."""

    id = Id()
    ticket_id = Id()
    number = Text(attribute="ticket.number")
    subject = Text(attribute="ticket.subject")
    agent_id = Id()
    agent_name = Text(attribute="agent.full_name")
    week = fields.Date()
    source = fields.Enum(SampleSource, by_value=True)
    status = fields.Enum(ReviewStatus, by_value=True)
    reviewer_id = Id(allow_none=True)
    score = fields.Integer(allow_none=True, metadata={"description": "0-100; 0 when a critical item failed"})
    critical_failed = fields.Boolean()
    results = fields.List(fields.Nested(ResultSchema))
    comment = Text()
    scored_at = When(allow_none=True)


class MarkSchema(Schema):
    """The verdict on one rubric item."""

    item_id = Id(required=True)
    passed = fields.Boolean(required=True)
    note = Text(load_default="", validate=validate.Length(max=2000))


class ScoreSchema(Schema):
    """A verdict on every active rubric item."""

    marks = fields.List(fields.Nested(MarkSchema), required=True, validate=validate.Length(min=1, max=100))
    comment = Text(load_default="", validate=validate.Length(max=5000))


class ReviewQuery(Schema):
    """Which reviews."""

    agent_id = Id()
    week = fields.Date()
    status = fields.Enum(ReviewStatus, by_value=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 200))


class WeekScoreSchema(Schema):
    """An agent's scored reviews of one week."""

    agent_id = Id()
    agent_name = Text()
    week = fields.Date()
    reviews = fields.Integer()
    average = fields.Float()
    critical_failures = fields.Integer()


class ScoresQuery(Schema):
    """Whose scores, over how many weeks."""

    agent_id = Id()
    weeks = fields.Integer(load_default=12, validate=validate.Range(1, 104))
    until = fields.Date(metadata={"description": "the last week (default: this week)"})


@blp.route("/rubric")
class Rubric(View):
    """The rubric."""

    @blp.arguments(RubricQuery, location="query")
    @blp.response(200, RubricItemSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only staff; the retired items only leads")
    def get(self, args: dict[str, Any]) -> list[RubricItem]:
        """The active rubric items in their order (``retired=true``: leads get the retired ones too)."""
        return quality.list_items(database.session(), actor=actor(), include_inactive=args["retired"])

    @idempotent
    @blp.arguments(RubricItemSchema)
    @blp.response(201, RubricItemSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Only admins and team leads")
    @blp.alt_response(422, schema=ErrorSchema, description="Name taken or weight out of range")
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]) -> RubricItem:
        """Add a rubric item (reviews already scored keep the rubric they were scored on)."""
        return quality.create_item(database.session(), actor=actor(), **data)


@blp.route("/rubric/<id:item_id>")
class RubricItemById(View):
    """One rubric item."""

    @blp.arguments(RubricItemUpdateSchema)
    @blp.response(200, RubricItemSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Only admins and team leads")
    @blp.alt_response(404, schema=ErrorSchema, description="No such item")
    def patch(self, data: dict[str, Any], item_id: int) -> RubricItem:
        """Rename, reweigh, mark critical or retire an item (scored reviews keep their copy)."""
        return quality.update_item(database.session(), actor=actor(), item_id=item_id, changes=data)


@blp.route("/samples")
class Samples(View):
    """Draw the week's sample."""

    @blp.arguments(SampleSchema)
    @blp.response(201, ReviewSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only admins and team leads")
    def post(self, data: dict[str, Any]) -> list[QualityReview]:
        """Pick closed tickets of the week: N at random per agent (topping up earlier draws) plus every
        low-scored one; returns the new reviews."""
        settings: Settings = current_app.config["DISPATCH"]
        week: date = data["week"]
        per_agent = data.get("per_agent", settings.quality_sample_per_agent)
        return quality.sample(database.session(), actor=actor(), week=week, per_agent=per_agent)


@blp.route("/reviews")
class Reviews(View):
    """Reviews: leads see everyone's, an agent their own."""

    @blp.arguments(ReviewQuery, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only staff")
    def get(self, args: dict[str, Any]) -> list[QualityReview]:
        """Reviews newest first."""
        return quality.list_reviews(database.session(), actor=actor(), **args)


@blp.route("/reviews/<id:review_id>")
class ReviewById(View):
    """One review."""

    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such review, or not yours")
    def get(self, review_id: int) -> QualityReview:
        """Read a review."""
        return quality.get_or_raise(database.session(), actor=actor(), review_id=review_id)


@blp.route("/reviews/<id:review_id>/score")
class ReviewScore(View):
    """Score a review."""

    @blp.arguments(ScoreSchema)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Only admins and team leads; not your own work")
    @blp.alt_response(422, schema=ErrorSchema, description="Not every rubric item marked once")
    def post(self, data: dict[str, Any], review_id: int) -> QualityReview:
        """Mark every active rubric item passed or failed; the weighted score follows."""
        marks = [quality.Mark(**m) for m in data["marks"]]
        return quality.score(
            database.session(), actor=actor(), review_id=review_id, marks=marks, comment=data["comment"]
        )


@blp.route("/scores")
class Scores(View):
    """Scores per agent and week."""

    @blp.arguments(ScoresQuery, location="query")
    @blp.response(200, WeekScoreSchema(many=True))
    @blp.alt_response(403, schema=ErrorSchema, description="Only staff")
    def get(self, args: dict[str, Any]) -> list[quality.WeekScore]:
        """The average score of each agent's scored reviews per week (agents: their own)."""
        return quality.scores_by_week(database.session(), actor=actor(), **args)
