"""The event log — ``/api/v1/events``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api import database
from api.auth import actor
from api.common import SortArgs, blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from dispatch.events import service as events
from dispatch.events.models import Event

blp = blueprint("events", "/events", "The append-only log of every change (admins, dispatchers)")


class EventSchema(Schema):
    """One change: who, when, what, before and after."""

    id = Id()
    at = When()
    actor_user_id = Id(allow_none=True)
    actor_role = Text()
    entity_type = Text()
    entity_id = Id()
    order_id = Id(allow_none=True)
    action = Text()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    payload = fields.Dict(allow_none=True)


class EventQuery(SortArgs):
    """Filters."""

    entity_type = Text(metadata={"description": "order, customer, site, engineer, ..."})
    entity_id = Id()
    action = Text()
    since = When()


@blp.route("")
class Events(View):
    """Read the log."""

    @blp.arguments(EventQuery, location="query")
    @blp.response(200, EventSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Event]:
        """List events, newest first by default."""
        result = events.list_events(
            database.session(), actor=actor(), **args, **paging(pagination_parameters)
        )
        return page_items(result, pagination_parameters)
