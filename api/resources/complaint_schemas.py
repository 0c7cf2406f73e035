"""Schemas of complaints and their root-cause tree."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from api.fields import Id, Text, When, WholeNumber
from dispatch.complaints.models import FollowUpOutcome, Grade, RepeatBy, Responsible

MAX_MINOR = 100_000_000
LONG = validate.Length(max=5000)


class RootCauseSchema(Schema):
    """A node of the root-cause tree."""

    id = Id(dump_only=True)
    parent_id = Id(allow_none=True, load_default=None)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    active = fields.Boolean(load_default=True)


class RootCauseUpdateSchema(Schema):
    """What may change about a root cause."""

    parent_id = Id(allow_none=True)
    name = Text(validate=validate.Length(min=1, max=100))
    active = fields.Boolean()


class RootCauseQuery(Schema):
    """Retired causes too?"""

    include_inactive = fields.Boolean(load_default=False)


class ComplaintUpdateSchema(Schema):
    """What an agent fills in on a complaint (every field optional; null clears)."""

    grade = fields.Enum(Grade, by_value=True)
    responsible = fields.Enum(
        Responsible,
        by_value=True,
        allow_none=True,
        metadata={"description": "department, engineer or partner"},
    )
    responsible_team_id = Id(allow_none=True, metadata={"description": "the desk team, for a department"})
    responsible_engineer_id = Id(allow_none=True)
    responsible_partner = Text(allow_none=True, validate=validate.Length(max=200))
    cause_id = Id(allow_none=True, metadata={"description": "a node of the root-cause tree"})
    order_id = Id(allow_none=True, metadata={"description": "the visit complained about (a linked order)"})
    customer_wish = Text(validate=LONG)
    resolution = Text(validate=LONG)
    compensation_minor = WholeNumber(
        validate=validate.Range(0, MAX_MINOR),
        metadata={"description": "integer minor units; each role has a limit"},
    )
    follow_up_at = When(allow_none=True)
    follow_up_by_id = Id(allow_none=True)
    follow_up_outcome = fields.Enum(FollowUpOutcome, by_value=True, allow_none=True)
    follow_up_notes = Text(validate=LONG)
    corrective_action = Text(validate=LONG)


class BreachSchema(Schema):
    """A missed SLA or OLA clock of the ticket."""

    kind = Text()
    team_id = Id(allow_none=True)
    breached_at = When()


class RepeatSchema(Schema):
    """The earlier complaint this one repeats."""

    ticket_id = Id()
    number = Text()
    by = fields.Enum(RepeatBy, by_value=True, metadata={"description": "same customer, or same engineer"})


class ComplaintSchema(Schema):
    """A complaint record with the ticket's SLA breaches, the repeat flag and what closing still needs."""

    ticket_id = Id()
    number = Text()
    subject = Text()
    status = Text(metadata={"description": "the ticket's status"})
    customer_id = Id()
    grade = fields.Enum(Grade, by_value=True)
    responsible = fields.Enum(Responsible, by_value=True, allow_none=True)
    responsible_team_id = Id(allow_none=True)
    responsible_engineer_id = Id(allow_none=True)
    responsible_partner = Text(allow_none=True)
    cause_id = Id(allow_none=True)
    cause_path = fields.List(Text(), metadata={"description": "root cause names, root first"})
    order_id = Id(allow_none=True)
    customer_wish = Text()
    resolution = Text()
    compensation_minor = fields.Integer()
    compensation_by_id = Id(allow_none=True)
    follow_up_at = When(allow_none=True)
    follow_up_by_id = Id(allow_none=True)
    follow_up_outcome = fields.Enum(FollowUpOutcome, by_value=True, allow_none=True)
    follow_up_notes = Text()
    corrective_action = Text()
    repeat = fields.Nested(RepeatSchema, allow_none=True)
    sla_breaches = fields.List(fields.Nested(BreachSchema))
    missing_to_close = fields.List(Text(), metadata={"description": "fields needed before resolving"})
    your_limit_minor = fields.Integer(allow_none=True, metadata={"description": "null: no limit"})
    version = fields.Integer()


class ComplaintQuery(Schema):
    """Which complaints."""

    repeat = fields.Boolean(metadata={"description": "true: only the flagged repeats"})
    cause_id = Id()
    customer_id = Id()
    engineer_id = Id(metadata={"description": "the responsible engineer"})
    grade = DelimitedList(fields.Enum(Grade, by_value=True))
    cursor = Id()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
