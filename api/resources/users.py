"""Users (admins only) — ``/api/v1/users``."""

from __future__ import annotations

from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from dispatch.access import Role
from dispatch.users import service as users
from dispatch.users.models import User

blp = blueprint("users", "/users", "Users who log in and their roles (admins only)")


class UserSchema(Schema):
    """A user."""

    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = Text(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    password = Text(
        required=True,
        load_only=True,
        validate=validate.Length(min=users.MIN_PASSWORD_LENGTH, max=1000),
    )
    active = fields.Boolean(load_default=True)
    customer_id = Id(allow_none=True, load_default=None)
    engineer_id = Id(allow_none=True, load_default=None)
    last_login_at = When(dump_only=True, allow_none=True)
    created_at = When(dump_only=True)


class UserUpdateSchema(UserSchema, PartialSchema):
    """Fields an admin may change; all optional."""


class UserQuery(SortArgs):
    """Filters for the user list."""

    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
    q = Text(metadata={"description": "part of the email or name"})


@blp.route("")
class Users(View):
    """List and create users."""

    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[User]:
        """List users."""
        result = users.list_users(database.session(), actor=actor(), **args, **paging(pagination_parameters))
        return page_items(result, pagination_parameters)

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Email already used")
    def post(self, data: dict[str, Any]) -> User:
        """Create a user."""
        return users.create(database.session(), actor=actor(), **data)


@blp.route("/<id:user_id>")
class UserById(View):
    """One user."""

    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such user")
    def get(self, user_id: int) -> User:
        """Read a user."""
        return users.get_or_raise(database.session(), actor=actor(), user_id=user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such user")
    def patch(self, changes: dict[str, Any], user_id: int) -> User:
        """Change a user's name, role, links, active flag or password."""
        return users.update(database.session(), actor=actor(), user_id=user_id, changes=changes)
