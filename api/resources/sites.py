"""Sites — ``/api/v1/sites``."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import PartialSchema, SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from dispatch.sites import service as sites
from dispatch.sites.geocoding import Geocoder
from dispatch.sites.models import LocationSource, Site

blp = blueprint("sites", "/sites", "Sites where visits happen; addresses are geocoded when needed")


def geocoder() -> Geocoder | None:
    """The geocoder configured for this app, if any."""
    configured: Geocoder | None = current_app.extensions.get("dispatch.geocoder")
    return configured


class SiteSchema(Schema):
    """A site. Without latitude/longitude the address is geocoded."""

    id = fields.Integer(dump_only=True)
    customer_id = Id(
        load_default=None, metadata={"description": "required for staff; customers add their own"}
    )
    label = Text(validate=validate.Length(max=100))
    address = Text(required=True, validate=validate.Length(min=3, max=500))
    postcode = Text(validate=validate.Length(max=20))
    city = Text(validate=validate.Length(max=100))
    country_code = Text(validate=validate.Regexp(r"^([A-Za-z]{2})?$", error="two letters"))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90), allow_nan=False)
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180), allow_nan=False)
    location_source = fields.Enum(LocationSource, by_value=True, dump_only=True)
    access_notes = Text(validate=validate.Length(max=2000))
    time_zone = Text(validate=validate.Length(min=1, max=64))
    created_at = When(dump_only=True)


class SiteUpdateSchema(SiteSchema, PartialSchema):
    """Fields to change; a new address without coordinates is geocoded again."""

    class Meta:
        exclude = ("customer_id",)


class SiteQuery(SortArgs):
    """Filters."""

    customer_id = Id()
    q = Text(metadata={"description": "part of the address, label or city"})
    postcode = Text()


@blp.route("")
class Sites(View):
    """List and create sites."""

    @blp.arguments(SiteQuery, location="query")
    @blp.response(200, SiteSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Site]:
        """List sites."""
        result = sites.list_sites(database.session(), actor=actor(), **args, **paging(pagination_parameters))
        return page_items(result, pagination_parameters)

    @blp.arguments(SiteSchema)
    @blp.response(201, SiteSchema)
    @blp.alt_response(
        422, schema=ErrorSchema, description="Invalid input, or the address could not be geocoded"
    )
    def post(self, data: dict[str, Any]) -> Site:
        """Add a site."""
        return sites.create(
            database.session(),
            actor=actor(),
            geocoder=geocoder(),
            default_time_zone=current_app.config["DISPATCH"].default_time_zone,
            **data,
        )


@blp.route("/<id:site_id>")
class SiteById(View):
    """One site."""

    @blp.response(200, SiteSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such site")
    def get(self, site_id: int) -> Site:
        """Read a site."""
        return sites.get_or_raise(database.session(), actor=actor(), site_id=site_id)

    @blp.arguments(SiteUpdateSchema)
    @blp.response(200, SiteSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such site")
    def patch(self, changes: dict[str, Any], site_id: int) -> Site:
        """Change a site."""
        return sites.update(
            database.session(), actor=actor(), site_id=site_id, changes=changes, geocoder=geocoder()
        )
