"""Satisfaction surveys: staff read them (``/api/v1/surveys``); the customer's link answers one
(``/api/v1/survey-links/<token>``, no login: the unguessable token is the key)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from dispatch.surveys import service as surveys
from dispatch.surveys.models import Survey, SurveySubject

surveys_blp = blueprint("surveys", "/surveys", "Satisfaction surveys and their answers (staff)")
links_blp = Blueprint(
    "survey_links",
    __name__,
    url_prefix="/api/v1/survey-links",
    description="Answer a satisfaction survey with its one-time link (no login)",
)


class SurveySchema(Schema):
    """A survey about one visit or one ticket, and the customer's answer once given."""

    id = Id()
    subject = fields.Enum(SurveySubject, by_value=True)
    order_id = Id(allow_none=True)
    ticket_id = Id(allow_none=True)
    customer_id = Id()
    engineer_id = Id(allow_none=True, metadata={"description": "who did the visit (visit surveys)"})
    team_id = Id(allow_none=True, metadata={"description": "the desk team that resolved the ticket"})
    created_at = When()
    expires_at = When()
    answered = fields.Boolean()
    answered_at = When(allow_none=True)
    score = fields.Integer(allow_none=True)
    comment = Text()
    review_ticket_id = Id(allow_none=True, metadata={"description": "the ticket a score of 1-2 opened"})


class SurveyQuery(Schema):
    """Filters of the survey list."""

    subject = fields.Enum(SurveySubject, by_value=True)
    answered = fields.Boolean()
    engineer_id = Id()
    customer_id = Id()
    max_score = fields.Integer(validate=validate.Range(1, 5), metadata={"description": "scores up to this"})


class SurveyLinkSchema(Schema):
    """What the link asks about, and whether it was answered."""

    subject = fields.Enum(SurveySubject, by_value=True)
    answered = fields.Boolean()
    expires_at = When()
    score = fields.Integer(allow_none=True)


class AnswerSchema(Schema):
    """The customer's rating: 1 (bad) to 5 (very good), and an optional comment."""

    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = Text(load_default="", validate=validate.Length(max=surveys.MAX_COMMENT))


@surveys_blp.route("")
class Surveys(View):
    """Every survey."""

    @surveys_blp.arguments(SurveyQuery, location="query")
    @surveys_blp.response(200, SurveySchema(many=True))
    @surveys_blp.alt_response(403, schema=ErrorSchema, description="Only staff read surveys")
    @surveys_blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Survey]:
        """Surveys newest first, answered or waiting, with filters (``max_score=2``: the low ones)."""
        result = surveys.list_surveys(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)


@surveys_blp.route("/<id:survey_id>")
class SurveyItem(View):
    """One survey."""

    @surveys_blp.response(200, SurveySchema)
    @surveys_blp.alt_response(403, schema=ErrorSchema, description="Only staff read surveys")
    @surveys_blp.alt_response(404, schema=ErrorSchema, description="No such survey")
    def get(self, survey_id: int) -> Survey:
        """A survey with its answer and the review ticket a low score opened."""
        return surveys.get_or_raise(database.session(), actor=actor(), survey_id=survey_id)


@links_blp.route("/<string:token>")
class SurveyLink(View):
    """The public side of a survey link."""

    @links_blp.response(200, SurveyLinkSchema)
    @links_blp.alt_response(404, schema=ErrorSchema, description="No survey at this link")
    @links_blp.alt_response(410, schema=ErrorSchema, description="The link has expired")
    @links_blp.doc(security=[])
    def get(self, token: str) -> Survey:
        """What the link asks and whether it was answered."""
        return surveys.by_token(database.session(), token=token)

    @links_blp.arguments(AnswerSchema)
    @links_blp.response(200, SurveyLinkSchema)
    @links_blp.alt_response(404, schema=ErrorSchema, description="No survey at this link")
    @links_blp.alt_response(409, schema=ErrorSchema, description="Already answered: the first answer stays")
    @links_blp.alt_response(410, schema=ErrorSchema, description="The link has expired")
    @links_blp.alt_response(
        422, schema=ErrorSchema, description="The score is not 1 to 5 or the comment is too long"
    )
    @links_blp.doc(security=[])
    def post(self, data: dict[str, Any], token: str) -> Survey:
        """Give the one answer (a score of 1 or 2 opens a review ticket for the team lead)."""
        return surveys.answer(database.session(), token=token, score=data["score"], comment=data["comment"])
