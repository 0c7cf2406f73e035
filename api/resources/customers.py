"""Customers — ``/api/v1/customers``."""

from __future__ import annotations

from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, ValidationError, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Text, When
from dispatch.customers import service as customers
from dispatch.customers.models import Customer, CustomerTier
from dispatch.i18n import _

blp = blueprint("customers", "/customers", "Customers and their contacts")


def PHONE(value: str) -> None:  # noqa: N802 - reads as a constant validator
    """A phone number: digits with optional +, spaces, dots, dashes and brackets; 6 to 20 digits."""
    digits = sum(ch.isdigit() for ch in value)
    if (
        not 6 <= digits <= 20
        or any(not (ch.isdigit() or ch in " +()./-") for ch in value)
        or "+" in value[1:]
    ):
        raise ValidationError([_("not a phone number: use 6 to 20 digits, optionally with a leading +")])


class ContactSchema(Schema):
    """A person to call about visits."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = Text(allow_none=True, validate=PHONE)
    role = Text(validate=validate.Length(max=60), metadata={"description": "tenant, landlord..."})
    is_primary = fields.Boolean()


class CustomerSchema(Schema):
    """A customer."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = Text(allow_none=True, validate=PHONE)
    external_id = Text(allow_none=True, validate=validate.Length(min=1, max=100))
    tier = fields.Enum(CustomerTier, by_value=True)
    notes = Text(validate=validate.Length(max=5000))
    contacts = fields.List(fields.Nested(ContactSchema), validate=validate.Length(max=20))
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class CustomerUpdateSchema(CustomerSchema, PartialSchema):
    """Fields to change; all optional."""


class CustomerQuery(SortArgs):
    """Filters: ``q`` matches name, email, phone or external id."""

    q = Text()
    email = Text()
    phone = Text()
    external_id = Text()
    tier = fields.Enum(CustomerTier, by_value=True)


@blp.route("")
class Customers(View):
    """List and create customers."""

    @blp.arguments(CustomerQuery, location="query")
    @blp.response(200, CustomerSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Customer]:
        """List customers."""
        result = customers.list_customers(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)

    @blp.arguments(CustomerSchema)
    @blp.response(201, CustomerSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Email or external id already used")
    def post(self, data: dict[str, Any]) -> Customer:
        """Record a customer."""
        return customers.create(database.session(), actor=actor(), **data)


@blp.route("/<id:customer_id>")
class CustomerById(View):
    """One customer."""

    @blp.response(200, CustomerSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such customer")
    def get(self, customer_id: int) -> Customer:
        """Read a customer."""
        return customers.get_or_raise(database.session(), actor=actor(), customer_id=customer_id)

    @blp.arguments(CustomerUpdateSchema)
    @blp.response(200, CustomerSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such customer")
    def patch(self, changes: dict[str, Any], customer_id: int) -> Customer:
        """Change a customer (contacts are replaced as a whole when given)."""
        return customers.update(database.session(), actor=actor(), customer_id=customer_id, changes=changes)
