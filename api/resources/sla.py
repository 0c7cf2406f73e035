"""Business calendars, SLA policies, a ticket's clocks and the about-to-breach queue (ETag / If-Match on writes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import IF_MATCH_DOC, blueprint, etag, if_match
from api.database import View
from api.fields import Id, Text, When
from api.resources.ticket_schemas import TeamRef
from dispatch.calendars import business, seed
from dispatch.calendars import service as calendars
from dispatch.calendars.models import BusinessCalendar, CalendarDay
from dispatch.errors import Invalid
from dispatch.i18n import _
from dispatch.orders.models import Priority
from dispatch.sla import clocks, jobs, policies, recompute
from dispatch.sla import queue as soon
from dispatch.sla.clocks import TicketClocks
from dispatch.sla.models import ClockKind, SlaPolicy
from dispatch.tasks.queue import JobQueue
from dispatch.tickets.models import TicketStatus

calendars_blp = blueprint(
    "calendars", "/calendars", "Business calendars: working hours, holidays, make-up days"
)
policies_blp = blueprint(
    "sla_policies", "/sla-policies", "SLA policies: tried in order, targets in business time"
)
clocks_blp = blueprint("sla_clocks", "", "SLA and OLA clocks of tickets, and the about-to-breach queue")

WEEK_DOC = 'weekly hours, e.g. {"mon": [["08:30", "12:00"], ["13:00", "18:00"]], "sat": []}'
MAX_SECONDS = 10 * 366 * 86400


def init_app(app: Flask) -> None:
    """After a commit that changed a calendar, re-time the open clocks counted in it (``sla`` queue)."""
    database_: database.Database = app.extensions["dispatch.db"]

    def enqueue(calendar_id: int) -> None:
        job_queue: JobQueue = app.extensions["dispatch.queue"]
        job_queue.enqueue(jobs.recompute_calendar, calendar_id, queue_name=jobs.QUEUE, timeout_s=1800)

    recompute.install(database_.sessions, enqueue)


def _tagged(item: Any, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    return item, status, {"ETag": etag(item.version)}


# --- calendars ---------------------------------------------------------------------------------


class CalendarSchema(Schema):
    """A business calendar."""

    id = Id(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    time_zone = Text(
        required=True, validate=validate.Length(min=1, max=64), metadata={"example": "Europe/London"}
    )
    week = fields.Dict(required=True, metadata={"description": WEEK_DOC})
    description = Text(load_default="", validate=validate.Length(max=2000))
    version = fields.Integer(dump_only=True, metadata={"description": 'also sent as the ETag "v<version>"'})
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class CalendarUpdateSchema(Schema):
    """What admins may change about a calendar."""

    name = Text(validate=validate.Length(min=1, max=100))
    time_zone = Text(validate=validate.Length(min=1, max=64))
    week = fields.Dict(metadata={"description": WEEK_DOC})
    description = Text(validate=validate.Length(max=2000))


class DaySchema(Schema):
    """A dated override: a holiday (no intervals) or other hours (a make-up working day)."""

    day = fields.Date()
    name = Text()
    intervals = fields.List(
        fields.List(Text()), metadata={"description": 'e.g. [["09:00", "12:00"]]; [] is closed'}
    )
    source = Text(metadata={"description": "manual, or the library that seeded it"})


class DayBodySchema(Schema):
    """The hours of a date (none: closed) and what the day is."""

    intervals = fields.List(
        fields.List(Text(validate=validate.Length(max=5)), validate=validate.Length(max=2)),
        load_default=list,
        validate=validate.Length(max=6),
    )
    name = Text(load_default="", validate=validate.Length(max=200))


class DayQuery(Schema):
    """Dates between (inclusive)."""

    since = fields.Date(metadata={"description": "first date"})
    until = fields.Date(metadata={"description": "last date"})


class SeedSchema(Schema):
    """Which library, which place, which years."""

    source = Text(
        required=True,
        validate=validate.OneOf(seed.SOURCES),
        metadata={"description": "holidays (any country) or chinese_calendar (mainland China, with 调休)"},
    )
    country = Text(validate=validate.Length(min=2, max=3), metadata={"description": "for holidays, e.g. GB"})
    subdiv = Text(validate=validate.Length(min=1, max=10), metadata={"description": "e.g. ENG"})
    from_year = fields.Integer(
        required=True, validate=validate.Range(calendars.FIRST_YEAR, calendars.LAST_YEAR)
    )
    to_year = fields.Integer(
        required=True, validate=validate.Range(calendars.FIRST_YEAR, calendars.LAST_YEAR)
    )


class SeedResultSchema(Schema):
    """What the seed wrote."""

    source = Text()
    added = fields.Integer()
    replaced = fields.Integer()
    kept_manual = fields.Integer(metadata={"description": "days an admin set by hand, left as they were"})
    years_not_covered = fields.List(
        fields.Integer(), metadata={"description": "years the library does not know yet"}
    )


class DueQuery(Schema):
    """When does business time from a start run out."""

    start = When(required=True)
    seconds = fields.Integer(required=True, validate=validate.Range(0, MAX_SECONDS))


class DueSchema(Schema):
    """The answer of the calendar's arithmetic."""

    start = When()
    seconds = fields.Integer()
    due = When()
    wall_seconds = fields.Integer(metadata={"description": "real seconds from start to due"})


def _calendar_etag(calendar_id: int) -> dict[str, str]:
    found = database.session().get(BusinessCalendar, calendar_id)
    return {"ETag": etag(found.version)} if found is not None else {}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(
            _("a day is a date such as 2026-12-25"), errors={"day": ["expected YYYY-MM-DD"]}
        ) from exc


@calendars_blp.route("")
class Calendars(View):
    """List and add calendars."""

    @calendars_blp.response(200, CalendarSchema(many=True))
    def get(self) -> list[BusinessCalendar]:
        """Every calendar, by name (staff)."""
        return calendars.list_calendars(database.session(), actor=actor())

    @calendars_blp.arguments(CalendarSchema)
    @calendars_blp.response(201, CalendarSchema)
    @calendars_blp.alt_response(409, schema=ErrorSchema, description="Name already used")
    @calendars_blp.alt_response(422, schema=ErrorSchema, description="Hours or time zone not usable")
    def post(self, data: dict[str, Any]) -> Any:
        """Add a calendar (admins)."""
        return _tagged(calendars.create(database.session(), actor=actor(), **data), 201)


@calendars_blp.route("/<id:calendar_id>")
class CalendarById(View):
    """One calendar."""

    @calendars_blp.response(200, CalendarSchema)
    @calendars_blp.alt_response(404, schema=ErrorSchema, description="No such calendar")
    def get(self, calendar_id: int) -> Any:
        """Read a calendar (its ETag comes in the header)."""
        return _tagged(calendars.get_or_raise(database.session(), actor=actor(), calendar_id=calendar_id))

    @calendars_blp.arguments(CalendarUpdateSchema)
    @calendars_blp.response(200, CalendarSchema)
    @calendars_blp.alt_response(412, schema=ErrorSchema, description="Changed since you read it")
    @calendars_blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @calendars_blp.doc(**IF_MATCH_DOC)
    def patch(self, changes: dict[str, Any], calendar_id: int) -> Any:
        """Change a calendar (admins); open clocks counted in it are re-timed."""
        found = calendars.update(
            database.session(),
            actor=actor(),
            calendar_id=calendar_id,
            expected_version=if_match(),
            changes=changes,
        )
        return _tagged(found)

    @calendars_blp.response(204)
    @calendars_blp.alt_response(409, schema=ErrorSchema, description="A policy or an open ticket uses it")
    @calendars_blp.doc(**IF_MATCH_DOC)
    def delete(self, calendar_id: int) -> None:
        """Remove a calendar nothing uses (admins)."""
        calendars.delete(
            database.session(), actor=actor(), calendar_id=calendar_id, expected_version=if_match()
        )


@calendars_blp.route("/<id:calendar_id>/days")
class CalendarDays(View):
    """The calendar's holidays and other dated hours."""

    @calendars_blp.arguments(DayQuery, location="query")
    @calendars_blp.response(200, DaySchema(many=True))
    def get(self, args: dict[str, Any], calendar_id: int) -> Any:
        """The dated overrides, by date (the calendar's ETag comes in the header)."""
        session = database.session()
        days = calendars.list_days(session, actor=actor(), calendar_id=calendar_id, **args)
        found = calendars.get_or_raise(session, actor=actor(), calendar_id=calendar_id)
        return days, 200, {"ETag": etag(found.version)}


@calendars_blp.route("/<id:calendar_id>/days/<string:day>")
class CalendarDayByDate(View):
    """One date of the calendar."""

    @calendars_blp.arguments(DayBodySchema)
    @calendars_blp.response(200, DaySchema)
    @calendars_blp.alt_response(412, schema=ErrorSchema, description="The calendar changed since you read it")
    @calendars_blp.alt_response(422, schema=ErrorSchema, description="Not a date, or hours not usable")
    @calendars_blp.doc(**IF_MATCH_DOC)
    def put(
        self, data: dict[str, Any], calendar_id: int, day: str
    ) -> tuple[CalendarDay, int, dict[str, str]]:
        """Make the date a holiday (no intervals) or give it hours, e.g. a weekend make-up day (admins)."""
        session = database.session()
        row = calendars.set_day(
            session,
            actor=actor(),
            calendar_id=calendar_id,
            expected_version=if_match(),
            day=_day(day),
            **data,
        )
        return row, 200, _calendar_etag(calendar_id)

    @calendars_blp.response(204)
    @calendars_blp.alt_response(404, schema=ErrorSchema, description="The date has no override")
    @calendars_blp.doc(**IF_MATCH_DOC)
    def delete(self, calendar_id: int, day: str) -> None:
        """Give the date back its weekday's hours (admins)."""
        calendars.delete_day(
            database.session(),
            actor=actor(),
            calendar_id=calendar_id,
            expected_version=if_match(),
            day=_day(day),
        )


@calendars_blp.route("/<id:calendar_id>/seed")
class CalendarSeed(View):
    """Holidays from a library."""

    @calendars_blp.arguments(SeedSchema)
    @calendars_blp.response(200, SeedResultSchema)
    @calendars_blp.alt_response(422, schema=ErrorSchema, description="Unknown country, subdivision or years")
    @calendars_blp.doc(**IF_MATCH_DOC)
    def post(
        self, data: dict[str, Any], calendar_id: int
    ) -> tuple[calendars.SeedResult, int, dict[str, str]]:
        """Fill holidays and make-up working days for a range of years (admins; days set by hand stay)."""
        result = calendars.seed_days(
            database.session(), actor=actor(), calendar_id=calendar_id, expected_version=if_match(), **data
        )
        return result, 200, _calendar_etag(calendar_id)


@calendars_blp.route("/<id:calendar_id>/due")
class CalendarDue(View):
    """The calendar's arithmetic, to check it."""

    @calendars_blp.arguments(DueQuery, location="query")
    @calendars_blp.response(200, DueSchema)
    def get(self, args: dict[str, Any], calendar_id: int) -> dict[str, Any]:
        """When ``seconds`` of business time from ``start`` are used up in this calendar."""
        session = database.session()
        found = calendars.get_or_raise(session, actor=actor(), calendar_id=calendar_id)
        pure = calendars.business_calendar(session, found.id)
        due = business.add(pure, args["start"], args["seconds"])
        return {**args, "due": due, "wall_seconds": int((due - args["start"]).total_seconds())}


# --- policies ----------------------------------------------------------------------------------


class OlaTargetSchema(Schema):
    """A team's own target while it has the ticket."""

    team_id = Id(required=True)
    target_s = fields.Integer(
        required=True, validate=validate.Range(policies.MIN_TARGET_S, policies.MAX_TARGET_S)
    )


class EscalationSchema(Schema):
    """What the scan does when a clock is about to breach or has breached."""

    on = Text(required=True, validate=validate.OneOf(policies.STAGES))
    clock = Text(load_default="any", validate=validate.OneOf(policies.CLOCKS))
    action = Text(required=True, validate=validate.OneOf(policies.ACTIONS))
    team_id = Id(allow_none=True, metadata={"description": "where move_to_team sends the ticket"})


def _target(**kwargs: Any) -> fields.Integer:
    return fields.Integer(
        allow_none=True,
        validate=validate.Range(policies.MIN_TARGET_S, policies.MAX_TARGET_S),
        metadata={"description": "business seconds of the policy's calendar"},
        **kwargs,
    )


class PolicySchema(Schema):
    """An SLA policy."""

    id = Id(dump_only=True)
    position = fields.Integer(load_default=None, validate=validate.Range(1, 100_000))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    condition = fields.Dict(
        load_default=dict,
        metadata={
            "description": 'a routing-style condition over tier, priority, kind, channel, e.g. {"field": "tier", '
            '"in": ["vip"]}; {} matches every ticket and must be the last policy'
        },
    )
    calendar_id = Id(required=True)
    first_response_s = _target(load_default=None)
    next_response_s = _target(load_default=None)
    resolution_s = _target(load_default=None)
    ola_targets = fields.List(
        fields.Nested(OlaTargetSchema), load_default=list, validate=validate.Length(max=50)
    )
    pause_on_hold = fields.Boolean(load_default=False)
    warn_percent = fields.Integer(load_default=80, validate=validate.Range(1, 99))
    escalations = fields.List(
        fields.Nested(EscalationSchema), load_default=list, validate=validate.Length(max=10)
    )
    active = fields.Boolean(load_default=True)
    version = fields.Integer(dump_only=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class PolicyUpdateSchema(Schema):
    """What may change about a policy."""

    position = fields.Integer(validate=validate.Range(1, 100_000))
    name = Text(validate=validate.Length(min=1, max=200))
    condition = fields.Dict()
    calendar_id = Id()
    first_response_s = _target()
    next_response_s = _target()
    resolution_s = _target()
    ola_targets = fields.List(fields.Nested(OlaTargetSchema), validate=validate.Length(max=50))
    pause_on_hold = fields.Boolean()
    warn_percent = fields.Integer(validate=validate.Range(1, 99))
    escalations = fields.List(fields.Nested(EscalationSchema), validate=validate.Length(max=10))
    active = fields.Boolean()


class PolicyReorderSchema(Schema):
    """Every policy's id, in the order they are to be tried."""

    policy_ids = fields.List(Id(), required=True, validate=validate.Length(max=1000))


def _clean_escalations(data: dict[str, Any]) -> dict[str, Any]:
    if "escalations" in data:
        data["escalations"] = [{k: v for k, v in e.items() if v is not None} for e in data["escalations"]]
    return data


@policies_blp.route("")
class Policies(View):
    """List and add policies."""

    @policies_blp.response(200, PolicySchema(many=True))
    def get(self) -> list[SlaPolicy]:
        """The policies in the order they are tried (staff)."""
        return policies.list_policies(database.session(), actor=actor())

    @policies_blp.arguments(PolicySchema)
    @policies_blp.response(201, PolicySchema)
    @policies_blp.alt_response(409, schema=ErrorSchema, description="Name or position taken")
    @policies_blp.alt_response(
        422,
        schema=ErrorSchema,
        description="Not usable; or a policy without a condition that would not be last",
    )
    def post(self, data: dict[str, Any]) -> Any:
        """Add a policy (admins); without a position it goes last."""
        return _tagged(policies.create(database.session(), actor=actor(), **_clean_escalations(data)), 201)


@policies_blp.route("/reorder")
class PoliciesReorder(View):
    """Put the policies in a new order."""

    @policies_blp.arguments(PolicyReorderSchema)
    @policies_blp.response(200, PolicySchema(many=True))
    @policies_blp.alt_response(
        422, schema=ErrorSchema, description="Not every policy once, or a catch-all not last"
    )
    def post(self, data: dict[str, Any]) -> list[SlaPolicy]:
        """Number the policies 1, 2, 3... in the order given (admins)."""
        return policies.reorder(database.session(), actor=actor(), policy_ids=data["policy_ids"])


@policies_blp.route("/<id:policy_id>")
class PolicyById(View):
    """One policy."""

    @policies_blp.response(200, PolicySchema)
    @policies_blp.alt_response(404, schema=ErrorSchema, description="No such policy")
    def get(self, policy_id: int) -> Any:
        """Read a policy (its ETag comes in the header)."""
        return _tagged(policies.get_or_raise(database.session(), actor=actor(), policy_id=policy_id))

    @policies_blp.arguments(PolicyUpdateSchema)
    @policies_blp.response(200, PolicySchema)
    @policies_blp.alt_response(412, schema=ErrorSchema, description="Changed since you read it")
    @policies_blp.alt_response(422, schema=ErrorSchema, description="Not usable")
    @policies_blp.doc(**IF_MATCH_DOC)
    def patch(self, changes: dict[str, Any], policy_id: int) -> Any:
        """Change a policy (admins); tickets already timed keep their targets until their policy is chosen again."""
        found = policies.update(
            database.session(),
            actor=actor(),
            policy_id=policy_id,
            expected_version=if_match(),
            changes=_clean_escalations(changes),
        )
        return _tagged(found)

    @policies_blp.response(204)
    @policies_blp.alt_response(409, schema=ErrorSchema, description="Still times open tickets")
    @policies_blp.doc(**IF_MATCH_DOC)
    def delete(self, policy_id: int) -> None:
        """Remove a policy no running clock uses (admins)."""
        policies.delete(database.session(), actor=actor(), policy_id=policy_id, expected_version=if_match())


# --- clocks ------------------------------------------------------------------------------------


class ClockSchema(Schema):
    """A clock and how it stands now."""

    id = Id()
    key = Text()
    kind = fields.Enum(ClockKind, by_value=True)
    team_id = Id(allow_none=True, metadata={"description": "the team of an OLA clock"})
    policy_id = fields.Integer()
    calendar_id = fields.Integer()
    target_s = fields.Integer(metadata={"description": "business seconds"})
    started_at = When()
    due_at = When(allow_none=True, metadata={"description": "empty while paused"})
    warn_at = When(allow_none=True)
    paused_s = fields.Integer(metadata={"description": "business seconds of finished pauses"})
    paused_since = When(allow_none=True)
    stopped_at = When(allow_none=True)
    breached_at = When(allow_none=True)
    warned_at = When(allow_none=True)
    state = Text(metadata={"description": "running, paused or stopped"})
    breached = fields.Boolean()
    business_seconds_used = fields.Integer()
    business_seconds_left = fields.Integer(metadata={"description": "negative once overdue"})
    wall_seconds_left = fields.Integer(allow_none=True, metadata={"description": "real seconds until due_at"})


class TicketClocksSchema(Schema):
    """A ticket's SLA policy, why, and its clocks."""

    ticket_id = Id()
    policy_id = fields.Integer(allow_none=True)
    match = fields.Dict(allow_none=True, metadata={"description": "how the policy was chosen"})
    reason = fields.Method("get_reason", metadata={"type": "string"})
    clocks = fields.List(fields.Nested(ClockSchema))

    def get_reason(self, found: TicketClocks) -> str:
        """Why the ticket has its policy, in a sentence."""
        match = found.match or {}
        if not match:
            return str(_("no SLA policy has been chosen for this ticket"))
        if match.get("policy_id") is None:
            return str(_("no SLA policy's condition holds for this ticket"))
        if match.get("by") == "rule":
            return str(
                _(
                    "routing rule %(rule)s named policy %(policy)s",
                    rule=match.get("rule"),
                    policy=match.get("policy"),
                )
            )
        if match.get("by") == "hand":
            return str(_("policy %(policy)s was chosen by hand", policy=match.get("policy")))
        return str(
            _(
                "policy %(position)s (%(policy)s) is the first whose condition holds",
                position=match.get("position"),
                policy=match.get("policy"),
            )
        )


class SoonTicketSchema(Schema):
    """The ticket of a queue row."""

    id = Id()
    number = Text()
    subject = Text()
    status = fields.Enum(TicketStatus, by_value=True)
    priority = fields.Enum(Priority, by_value=True)
    team = fields.Nested(TeamRef, allow_none=True)
    assignee_id = Id(allow_none=True)


class SoonSchema(Schema):
    """A ticket and its nearest running clock."""

    ticket = fields.Nested(SoonTicketSchema)
    clock = fields.Nested(ClockSchema)


class SoonPageSchema(Schema):
    """One page of the about-to-breach queue."""

    items = fields.List(fields.Nested(SoonSchema))
    next_cursor = Text(allow_none=True, metadata={"description": "pass as cursor for the next page"})


class SoonQuery(Schema):
    """Which tickets."""

    within_minutes = fields.Integer(load_default=60, validate=validate.Range(0, soon.MAX_MINUTES))
    team_id = Id()
    mine = fields.Boolean(load_default=False, metadata={"description": "only tickets assigned to me"})
    include_breached = fields.Boolean(load_default=True, metadata={"description": "overdue ones too (first)"})
    cursor = Text(validate=validate.Length(max=60))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


@clocks_blp.route("/tickets/<id:ticket_id>/clocks")
class TicketClocksView(View):
    """A ticket's clocks."""

    @clocks_blp.response(200, TicketClocksSchema)
    @clocks_blp.alt_response(404, schema=ErrorSchema, description="No such ticket, or not yours")
    def get(self, ticket_id: int) -> clocks.TicketClocks:
        """The ticket's policy, why, and each clock with its time left in business hours and wall time (staff)."""
        return clocks.for_ticket(database.session(), actor=actor(), ticket_id=ticket_id)


@clocks_blp.route("/sla/about-to-breach")
class AboutToBreach(View):
    """The desk's about-to-breach queue."""

    @clocks_blp.arguments(SoonQuery, location="query")
    @clocks_blp.response(200, SoonPageSchema)
    @clocks_blp.alt_response(422, schema=ErrorSchema, description="A cursor this list did not give out")
    def get(self, args: dict[str, Any]) -> soon.SoonPage:
        """Tickets whose nearest running clock is due within N minutes (overdue first), nearest first."""
        return soon.about_to_breach(database.session(), actor=actor(), **args)
