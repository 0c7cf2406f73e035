"""Teams and engineers — ``/api/v1/teams``, ``/api/v1/engineers``."""

from __future__ import annotations

from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text
from api.resources.catalog import SkillCodes
from dispatch.engineers import service as engineers
from dispatch.engineers.models import Engineer, Team
from dispatch.surveys import service as surveys

teams = blueprint("teams", "/teams", "Teams of engineers and the regions they cover")
blp = blueprint("engineers", "/engineers", "Field engineers: skills, home base, team")


class TeamSchema(Schema):
    """A team."""

    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,49}$"))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    region = Text(validate=validate.Length(max=200))
    time_zone = Text(required=True, validate=validate.Length(min=1, max=64))


class TeamUpdateSchema(TeamSchema, PartialSchema):
    """Fields to change (the code stays)."""

    class Meta:
        exclude = ("code",)


class EngineerSchema(Schema):
    """An engineer."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = Text(allow_none=True, validate=validate.Length(max=40))
    team_id = Id(allow_none=True)
    skills = SkillCodes()
    home_address = Text(validate=validate.Length(max=500))
    home_latitude = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    home_longitude = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    max_work_s = fields.Integer(allow_none=True, validate=validate.Range(1800, 16 * 3600))
    active = fields.Boolean()


class RatingSchema(Schema):
    """The engineer's recent satisfaction score."""

    average = fields.Float(metadata={"description": "mean visit score, 1 to 5"})
    count = fields.Integer(metadata={"description": "answers it is made of"})
    days = fields.Integer(metadata={"description": "counted over this many days back"})


class EngineerReadSchema(EngineerSchema):
    """An engineer, with their recent rating for staff (None: nobody rated them lately)."""

    rating = fields.Nested(RatingSchema, dump_only=True, allow_none=True)


def with_ratings(found: list[Engineer]) -> list[dict[str, Any]]:
    """The engineers as the schema shows them, with each one's recent average (staff only)."""
    who = actor()
    scores = surveys.ratings(database.session(), engineer_ids=[e.id for e in found]) if who.is_staff else {}
    names = EngineerSchema._declared_fields
    out = []
    for engineer in found:
        row = {name: getattr(engineer, name) for name in names if hasattr(engineer, name)}
        rating = scores.get(engineer.id)
        if who.is_staff:
            row["rating"] = (
                {"average": rating.average, "count": rating.count, "days": surveys.RECENT_DAYS}
                if rating is not None
                else None
            )
        out.append(row)
    return out


class EngineerUpdateSchema(EngineerSchema, PartialSchema):
    """Fields to change."""


class EngineerQuery(SortArgs):
    """Filters."""

    team_id = Id()
    skill = Text(metadata={"description": "skill code"})
    active = fields.Boolean()
    q = Text(metadata={"description": "part of the name"})


@teams.route("")
class Teams(View):
    """List and add teams."""

    @teams.arguments(SortArgs, location="query")
    @teams.response(200, TeamSchema(many=True))
    @teams.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Team]:
        """List teams."""
        result = engineers.list_teams(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)

    @teams.arguments(TeamSchema)
    @teams.response(201, TeamSchema)
    @teams.alt_response(409, schema=ErrorSchema, description="Code already used")
    def post(self, data: dict[str, Any]) -> Team:
        """Add a team."""
        return engineers.create_team(database.session(), actor=actor(), **data)


@teams.route("/<id:team_id>")
class TeamById(View):
    """One team."""

    @teams.response(200, TeamSchema)
    @teams.alt_response(404, schema=ErrorSchema, description="No such team")
    def get(self, team_id: int) -> Team:
        """Read a team."""
        return engineers.get_team_or_raise(database.session(), actor=actor(), team_id=team_id)

    @teams.arguments(TeamUpdateSchema)
    @teams.response(200, TeamSchema)
    @teams.alt_response(404, schema=ErrorSchema, description="No such team")
    def patch(self, changes: dict[str, Any], team_id: int) -> Team:
        """Change a team."""
        return engineers.update_team(database.session(), actor=actor(), team_id=team_id, changes=changes)


@blp.route("")
class Engineers(View):
    """List and add engineers."""

    @blp.arguments(EngineerQuery, location="query")
    @blp.response(200, EngineerReadSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List engineers (staff also see each one's visit rating of the last 90 days)."""
        result = engineers.list_engineers(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return with_ratings(page_items(result, pagination_parameters))

    @blp.arguments(EngineerSchema)
    @blp.response(201, EngineerSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Email already used")
    def post(self, data: dict[str, Any]) -> Engineer:
        """Add an engineer."""
        return engineers.create(database.session(), actor=actor(), **data)


@blp.route("/<id:engineer_id>")
class EngineerById(View):
    """One engineer."""

    @blp.response(200, EngineerReadSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such engineer")
    def get(self, engineer_id: int) -> dict[str, Any]:
        """Read an engineer (staff also see their visit rating of the last 90 days)."""
        found = engineers.get_or_raise(database.session(), actor=actor(), engineer_id=engineer_id)
        return with_ratings([found])[0]

    @blp.arguments(EngineerUpdateSchema)
    @blp.response(200, EngineerSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such engineer")
    def patch(self, changes: dict[str, Any], engineer_id: int) -> Engineer:
        """Change an engineer."""
        return engineers.update(database.session(), actor=actor(), engineer_id=engineer_id, changes=changes)
