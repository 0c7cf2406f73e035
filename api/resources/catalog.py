"""Skills and service types — ``/api/v1/skills``, ``/api/v1/service-types``."""

from __future__ import annotations

from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Text
from dispatch.catalog import service as catalog
from dispatch.catalog.models import ServiceType, Skill

skills = blueprint("skills", "/skills", "Skills engineers hold and jobs require")
service_types = blueprint("service_types", "/service-types", "Kinds of on-site job customers can book")

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,49}$", error="lowercase letters, digits, - and _")


class SkillSchema(Schema):
    """A skill."""

    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=200))


class SkillUpdateSchema(SkillSchema, PartialSchema):
    """A skill's new name (the code stays)."""

    class Meta:
        exclude = ("code",)


class SkillCodes(fields.List):  # type: ignore[type-arg]
    """Skills as a list of codes: loads strings, dumps the codes of Skill objects."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            Text(validate=CODE),
            validate=validate.Length(max=20),
            metadata={"description": "skill codes"},
            **kwargs,
        )

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[str] | None:
        if value is None:
            return None
        return [getattr(s, "code", s) for s in value]


class ServiceTypeSchema(Schema):
    """A kind of job: its usual duration, required skills and completion evidence."""

    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    description = Text(validate=validate.Length(max=5000))
    default_duration_s = fields.Integer(required=True, validate=validate.Range(60, 12 * 3600))
    skills = SkillCodes()
    photos_required = fields.Boolean()
    signature_required = fields.Boolean()
    min_photos = fields.Integer(
        validate=validate.Range(0, 20), metadata={"description": "photos needed before completion"}
    )
    active = fields.Boolean()


class ServiceTypeUpdateSchema(ServiceTypeSchema, PartialSchema):
    """Fields to change (the code stays)."""

    class Meta:
        exclude = ("code",)


class ServiceTypeQuery(SortArgs):
    """Filters."""

    active = fields.Boolean()
    skill = Text(metadata={"description": "only types needing this skill code"})


@skills.route("")
class Skills(View):
    """List and add skills."""

    @skills.arguments(SortArgs, location="query")
    @skills.response(200, SkillSchema(many=True))
    @skills.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Skill]:
        """List skills."""
        result = catalog.list_skills(database.session(), **args, **paging(pagination_parameters))
        return page_items(result, pagination_parameters)

    @skills.arguments(SkillSchema)
    @skills.response(201, SkillSchema)
    @skills.alt_response(409, schema=ErrorSchema, description="Code already used")
    def post(self, data: dict[str, Any]) -> Skill:
        """Add a skill."""
        return catalog.create_skill(database.session(), actor=actor(), **data)


@skills.route("/<id:skill_id>")
class SkillById(View):
    """One skill."""

    @skills.response(200, SkillSchema)
    @skills.alt_response(404, schema=ErrorSchema, description="No such skill")
    def get(self, skill_id: int) -> Skill:
        """Read a skill."""
        return catalog.get_skill_or_raise(database.session(), skill_id=skill_id)

    @skills.arguments(SkillUpdateSchema)
    @skills.response(200, SkillSchema)
    @skills.alt_response(404, schema=ErrorSchema, description="No such skill")
    def patch(self, changes: dict[str, Any], skill_id: int) -> Skill:
        """Rename a skill."""
        return catalog.update_skill(database.session(), actor=actor(), skill_id=skill_id, changes=changes)


@service_types.route("")
class ServiceTypes(View):
    """List and add service types."""

    @service_types.arguments(ServiceTypeQuery, location="query")
    @service_types.response(200, ServiceTypeSchema(many=True))
    @service_types.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[ServiceType]:
        """List service types."""
        result = catalog.list_types(database.session(), **args, **paging(pagination_parameters))
        return page_items(result, pagination_parameters)

    @service_types.arguments(ServiceTypeSchema)
    @service_types.response(201, ServiceTypeSchema)
    @service_types.alt_response(409, schema=ErrorSchema, description="Code already used")
    def post(self, data: dict[str, Any]) -> ServiceType:
        """Add a service type."""
        return catalog.create_type(database.session(), actor=actor(), **data)


@service_types.route("/<id:service_type_id>")
class ServiceTypeById(View):
    """One service type."""

    @service_types.response(200, ServiceTypeSchema)
    @service_types.alt_response(404, schema=ErrorSchema, description="No such service type")
    def get(self, service_type_id: int) -> ServiceType:
        """Read a service type."""
        return catalog.get_type_or_raise(database.session(), service_type_id=service_type_id)

    @service_types.arguments(ServiceTypeUpdateSchema)
    @service_types.response(200, ServiceTypeSchema)
    @service_types.alt_response(404, schema=ErrorSchema, description="No such service type")
    def patch(self, changes: dict[str, Any], service_type_id: int) -> ServiceType:
        """Change a service type."""
        return catalog.update_type(
            database.session(), actor=actor(), service_type_id=service_type_id, changes=changes
        )
