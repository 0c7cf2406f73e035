"""The desk's set-up and its customers: teams, agents, routing rules, ticket categories, the review
queue of unknown senders, recognition and the customer profile."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import blueprint, page_items, paging
from api.database import View
from api.fields import Id, Text, When
from api.resources.customers import ContactSchema, CustomerSchema
from api.resources.order_schemas import OrderSchema, SiteRef
from api.resources.ticket_schemas import PersonRef, SenderSchema, TicketSchema
from dispatch.config import Settings
from dispatch.customers import recognition
from dispatch.customers.models import CustomerContact
from dispatch.routing import service as routing
from dispatch.routing.models import AssignmentStrategy, DeskAgent, DeskTeam, DeskTier, RoutingRule
from dispatch.tickets import categories, flows
from dispatch.tickets.models import TicketCategory

teams_blp = blueprint("desk_teams", "/desk-teams", "Desk teams (tiers), their members and leads")
agents_blp = blueprint("agents", "/agents", "Agents: capacity, presence, working hours and skills")
rules_blp = blueprint("routing_rules", "/routing-rules", "Routing rules: tried in order, first match wins")
categories_blp = blueprint("ticket_categories", "/ticket-categories", "The tree of ticket categories")
contacts_blp = blueprint("desk_customers", "", "Recognising customers on every channel; the review queue")


def settings() -> Settings:
    """This app's settings."""
    configured: Settings = current_app.config["DISPATCH"]
    return configured


# --- teams -------------------------------------------------------------------------------------


class MemberSchema(Schema):
    """An agent of the team; a lead gets its escalations."""

    user_id = Id()
    is_lead = fields.Boolean()


class DeskTeamSchema(Schema):
    """A desk team: its tier, how it assigns tickets, where escalations go."""

    id = Id(dump_only=True)
    code = Text(required=True, validate=validate.Length(min=1, max=50))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    tier = fields.Enum(DeskTier, by_value=True, load_default=DeskTier.FIRST_LINE)
    strategy = fields.Enum(
        AssignmentStrategy,
        by_value=True,
        load_default=AssignmentStrategy.ROUND_ROBIN,
        metadata={"description": "round_robin, least_loaded, skills, or manual"},
    )
    escalates_to_id = Id(load_default=None, allow_none=True, metadata={"description": "the next tier"})
    active = fields.Boolean(dump_only=True)
    members = fields.List(fields.Nested(MemberSchema), dump_only=True)
    lead_ids = fields.List(Id(), dump_only=True)
    last_assigned_user_id = Id(
        dump_only=True, allow_none=True, metadata={"description": "round-robin pointer"}
    )


class DeskTeamUpdateSchema(Schema):
    """What admins may change about a team."""

    code = Text(validate=validate.Length(min=1, max=50))
    name = Text(validate=validate.Length(min=1, max=200))
    tier = fields.Enum(DeskTier, by_value=True)
    strategy = fields.Enum(AssignmentStrategy, by_value=True)
    escalates_to_id = Id(allow_none=True)
    active = fields.Boolean()


class MembershipSchema(Schema):
    """Whether the agent leads the team."""

    is_lead = fields.Boolean(load_default=False)


@teams_blp.route("")
class DeskTeams(View):
    """List and create desk teams."""

    @teams_blp.response(200, DeskTeamSchema(many=True))
    def get(self) -> list[DeskTeam]:
        """Every team, first line first."""
        return routing.list_teams(database.session(), actor=actor())

    @teams_blp.arguments(DeskTeamSchema)
    @teams_blp.response(201, DeskTeamSchema)
    @teams_blp.alt_response(409, schema=ErrorSchema, description="Code already used")
    def post(self, data: dict[str, Any]) -> DeskTeam:
        """Add a team (admins)."""
        return routing.create_team(database.session(), actor=actor(), **data)


@teams_blp.route("/<id:team_id>")
class DeskTeamById(View):
    """One team."""

    @teams_blp.response(200, DeskTeamSchema)
    @teams_blp.alt_response(404, schema=ErrorSchema, description="No such team")
    def get(self, team_id: int) -> DeskTeam:
        """Read a team with its members."""
        return routing.get_team_or_raise(database.session(), actor=actor(), team_id=team_id)

    @teams_blp.arguments(DeskTeamUpdateSchema)
    @teams_blp.response(200, DeskTeamSchema)
    @teams_blp.alt_response(404, schema=ErrorSchema, description="No such team")
    def patch(self, changes: dict[str, Any], team_id: int) -> DeskTeam:
        """Change a team (admins)."""
        return routing.update_team(database.session(), actor=actor(), team_id=team_id, changes=changes)


@teams_blp.route("/<id:team_id>/members/<id:user_id>")
class DeskTeamMembers(View):
    """An agent's membership of a team."""

    @teams_blp.arguments(MembershipSchema)
    @teams_blp.response(200, MemberSchema)
    @teams_blp.alt_response(422, schema=ErrorSchema, description="Not an active staff user")
    def put(self, data: dict[str, Any], team_id: int, user_id: int) -> Any:
        """Put the agent in the team, or change whether they lead it (admins)."""
        return routing.set_member(
            database.session(),
            actor=actor(),
            team_id=team_id,
            user_id=user_id,
            is_lead=data["is_lead"],
            default_time_zone=settings().default_time_zone,
        )

    @teams_blp.response(204)
    @teams_blp.alt_response(404, schema=ErrorSchema, description="Not a member")
    def delete(self, team_id: int, user_id: int) -> None:
        """Take the agent out of the team (admins)."""
        routing.remove_member(database.session(), actor=actor(), team_id=team_id, user_id=user_id)


# --- agents ------------------------------------------------------------------------------------


class AgentSchema(Schema):
    """An agent: capacity, presence, working hours and skills, and their open tickets now."""

    user_id = Id()
    user = fields.Method("get_user", metadata={"type": "object"})
    capacity = fields.Integer()
    away = fields.Boolean()
    away_since = When(allow_none=True)
    time_zone = Text()
    working_hours = fields.Dict(
        allow_none=True,
        metadata={
            "description": 'weekly intervals, e.g. {"mon": [["08:30", "12:00"], ["13:00", "17:30"]]}; null: any time'
        },
    )
    skills = fields.List(Text())
    open_tickets = fields.Method("get_open", metadata={"type": "integer"})
    team_ids = fields.Method("get_teams", metadata={"type": "array", "items": {"type": "integer"}})

    def get_user(self, agent: DeskAgent) -> dict[str, Any]:
        """The agent's name."""
        from dispatch.users.models import User

        user = database.session().get(User, agent.user_id)
        return PersonRef().dump(user) if user else {}

    def get_open(self, agent: DeskAgent) -> int:
        """Open tickets assigned to the agent."""
        return routing.loads(database.session(), [agent.user_id])[agent.user_id].count

    def get_teams(self, agent: DeskAgent) -> list[int]:
        """The teams the agent is in."""
        return routing.team_ids_of(database.session(), agent.user_id)


class AgentUpdateSchema(Schema):
    """What admins set about an agent."""

    capacity = fields.Integer(validate=validate.Range(0, routing.MAX_CAPACITY))
    working_hours = fields.Dict(allow_none=True)
    time_zone = Text(validate=validate.Length(min=1, max=64))
    skills = fields.List(Text(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=50))


class PresenceSchema(Schema):
    """Away (no new tickets) or back."""

    away = fields.Boolean(required=True)


class AgentQuery(Schema):
    """Filters."""

    team_id = Id()


@agents_blp.route("")
class Agents(View):
    """List agents."""

    @agents_blp.arguments(AgentQuery, location="query")
    @agents_blp.response(200, AgentSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[DeskAgent]:
        """Agents, all or of one team."""
        return routing.list_agents(database.session(), actor=actor(), **args)


@agents_blp.route("/<id:user_id>")
class AgentById(View):
    """One agent."""

    @agents_blp.response(200, AgentSchema)
    @agents_blp.alt_response(404, schema=ErrorSchema, description="No such agent")
    def get(self, user_id: int) -> DeskAgent:
        """Read an agent."""
        return routing.get_agent_or_raise(database.session(), actor=actor(), user_id=user_id)

    @agents_blp.arguments(AgentUpdateSchema)
    @agents_blp.response(200, AgentSchema)
    @agents_blp.alt_response(422, schema=ErrorSchema, description="Hours, capacity or time zone not usable")
    def patch(self, changes: dict[str, Any], user_id: int) -> DeskAgent:
        """Set capacity, working hours, time zone or skills (admins); more room assigns waiting tickets."""
        return routing.update_agent(database.session(), actor=actor(), user_id=user_id, changes=changes)


@agents_blp.route("/<id:user_id>/presence")
class AgentPresence(View):
    """Away or back."""

    @agents_blp.arguments(PresenceSchema)
    @agents_blp.response(200, AgentSchema)
    @agents_blp.alt_response(403, schema=ErrorSchema, description="Someone else's presence (admins only)")
    def post(self, data: dict[str, Any], user_id: int) -> DeskAgent:
        """Say you are away or back (admins may for anyone); back assigns waiting tickets."""
        return routing.set_presence(database.session(), actor=actor(), user_id=user_id, away=data["away"])


# --- routing rules -----------------------------------------------------------------------------


class RuleSchema(Schema):
    """A routing rule: its place in the order, its condition and what it sets."""

    id = Id(dump_only=True)
    position = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 100_000),
        metadata={"description": "unique; rules are tried from 1 up (default: last)"},
    )
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    condition = fields.Dict(
        required=True,
        metadata={
            "description": 'a JSON tree: {"all"|"any": [...]}, {"not": ...}, {"field": "channel", "in": [...]}, '
            '{"field": "subject", "words": [...]}; fields: channel, kind, category, priority, tier, region, subject'
        },
    )
    actions = fields.Dict(
        required=True, metadata={"description": "any of team_id, priority, category_id, sla_policy_id, tags"}
    )
    active = fields.Boolean(load_default=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class RuleUpdateSchema(Schema):
    """What may change about a rule (the condition and actions are checked again)."""

    position = fields.Integer(validate=validate.Range(1, 100_000))
    name = Text(validate=validate.Length(min=1, max=200))
    condition = fields.Dict()
    actions = fields.Dict()
    active = fields.Boolean()


class ReorderSchema(Schema):
    """Every rule's id, in the order they are to be tried."""

    rule_ids = fields.List(Id(), required=True, validate=validate.Length(max=1000))


@rules_blp.route("")
class Rules(View):
    """List and add rules."""

    @rules_blp.response(200, RuleSchema(many=True))
    def get(self) -> list[RoutingRule]:
        """The rules in the order they are tried."""
        return routing.list_rules(database.session(), actor=actor())

    @rules_blp.arguments(RuleSchema)
    @rules_blp.response(201, RuleSchema)
    @rules_blp.alt_response(409, schema=ErrorSchema, description="Position taken")
    @rules_blp.alt_response(422, schema=ErrorSchema, description="The condition or actions say what is wrong")
    def post(self, data: dict[str, Any]) -> RoutingRule:
        """Add a rule (admins)."""
        return routing.create_rule(database.session(), actor=actor(), **data)


@rules_blp.route("/reorder")
class RulesReorder(View):
    """Put the rules in a new order."""

    @rules_blp.arguments(ReorderSchema)
    @rules_blp.response(200, RuleSchema(many=True))
    @rules_blp.alt_response(422, schema=ErrorSchema, description="Not every rule named exactly once")
    def post(self, data: dict[str, Any]) -> list[RoutingRule]:
        """Number the rules 1, 2, 3... in the order given (admins)."""
        return routing.reorder_rules(database.session(), actor=actor(), rule_ids=data["rule_ids"])


@rules_blp.route("/<id:rule_id>")
class RuleById(View):
    """One rule."""

    @rules_blp.response(200, RuleSchema)
    @rules_blp.alt_response(404, schema=ErrorSchema, description="No such rule")
    def get(self, rule_id: int) -> RoutingRule:
        """Read a rule."""
        return routing.get_rule_or_raise(database.session(), actor=actor(), rule_id=rule_id)

    @rules_blp.arguments(RuleUpdateSchema)
    @rules_blp.response(200, RuleSchema)
    @rules_blp.alt_response(409, schema=ErrorSchema, description="Position taken")
    @rules_blp.alt_response(422, schema=ErrorSchema, description="The condition or actions say what is wrong")
    def patch(self, changes: dict[str, Any], rule_id: int) -> RoutingRule:
        """Change a rule (admins)."""
        return routing.update_rule(database.session(), actor=actor(), rule_id=rule_id, changes=changes)

    @rules_blp.response(204)
    @rules_blp.alt_response(404, schema=ErrorSchema, description="No such rule")
    def delete(self, rule_id: int) -> None:
        """Remove a rule (admins)."""
        routing.delete_rule(database.session(), actor=actor(), rule_id=rule_id)


# --- categories --------------------------------------------------------------------------------


class CategorySchema(Schema):
    """A node of the category tree."""

    id = Id(dump_only=True)
    parent_id = Id(load_default=None, allow_none=True)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    path = fields.Method("get_path", metadata={"type": "array", "items": {"type": "string"}})
    skills = fields.List(
        Text(validate=validate.Length(min=1, max=50)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "skill codes an agent needs (the skills strategy)"},
    )
    active = fields.Boolean(load_default=True)

    def get_path(self, category: TicketCategory) -> list[str]:
        """Names from the root down."""
        return categories.path_of(database.session(), category)


class CategoryUpdateSchema(Schema):
    """What may change about a category."""

    parent_id = Id(allow_none=True)
    name = Text(validate=validate.Length(min=1, max=100))
    skills = fields.List(Text(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    active = fields.Boolean()


class CategoryQuery(Schema):
    """Filters."""

    include_inactive = fields.Boolean(load_default=False)


@categories_blp.route("")
class Categories(View):
    """The tree."""

    @categories_blp.arguments(CategoryQuery, location="query")
    @categories_blp.response(200, CategorySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[TicketCategory]:
        """Every category, parents before children."""
        return categories.list_categories(database.session(), actor=actor(), **args)

    @categories_blp.arguments(CategorySchema)
    @categories_blp.response(201, CategorySchema)
    @categories_blp.alt_response(409, schema=ErrorSchema, description="Same name under the same parent")
    def post(self, data: dict[str, Any]) -> TicketCategory:
        """Add a category (admins)."""
        return categories.create(database.session(), actor=actor(), **data)


@categories_blp.route("/<id:category_id>")
class CategoryById(View):
    """One category."""

    @categories_blp.response(200, CategorySchema)
    @categories_blp.alt_response(404, schema=ErrorSchema, description="No such category")
    def get(self, category_id: int) -> TicketCategory:
        """Read a category."""
        return categories.get_or_raise(database.session(), actor=actor(), category_id=category_id)

    @categories_blp.arguments(CategoryUpdateSchema)
    @categories_blp.response(200, CategorySchema)
    @categories_blp.alt_response(422, schema=ErrorSchema, description="A loop or too deep")
    def patch(self, changes: dict[str, Any], category_id: int) -> TicketCategory:
        """Rename, move, retire or change the skills of a category (admins)."""
        return categories.update(database.session(), actor=actor(), category_id=category_id, changes=changes)

    @categories_blp.response(204)
    @categories_blp.alt_response(409, schema=ErrorSchema, description="In use: retire it instead")
    def delete(self, category_id: int) -> None:
        """Remove an unused category (admins)."""
        categories.delete(database.session(), actor=actor(), category_id=category_id)


# --- customers on every channel ------------------------------------------------------------------


class RecognitionSchema(Schema):
    """Who the sender is, how we knew, and whether an agent must review a new contact."""

    customer = fields.Nested(CustomerSchema)
    contact = fields.Nested(ContactSchema, allow_none=True)
    matched_by = Text(metadata={"description": "external_id, email, phone, or new"})
    needs_review = fields.Boolean()
    candidates = fields.List(
        Id(), metadata={"description": "customers sharing the phone number, to pick from"}
    )


class RecognizeSchema(SenderSchema):
    """Who wrote, and on which channel."""

    channel = Text(load_default="api", validate=validate.Length(max=20))


class ReviewContactSchema(ContactSchema):
    """A contact made for a sender nobody was matched to."""

    customer_id = Id()
    needs_review = fields.Boolean()


class LinkContactSchema(Schema):
    """The existing customer the sender really is."""

    customer_id = Id(required=True)


class CustomerRatingSchema(Schema):
    """One answer of a satisfaction survey."""

    subject = fields.String(metadata={"description": "visit or ticket"})
    order_id = Id(allow_none=True)
    ticket_id = Id(allow_none=True)
    score = fields.Integer(metadata={"description": "1 (bad) to 5 (very good)"})
    comment = fields.String()
    answered_at = When()


class SatisfactionSchema(Schema):
    """The customer's recent satisfaction."""

    average = fields.Float(allow_none=True, metadata={"description": "average score of the last `days` days"})
    count = fields.Integer(metadata={"description": "answers in the last `days` days"})
    days = fields.Integer()
    recent = fields.List(
        fields.Nested(CustomerRatingSchema), metadata={"description": "the last answers, newest first"}
    )


class ProfileSchema(Schema):
    """What the agent sees beside a ticket."""

    customer = fields.Nested(CustomerSchema)
    sites = fields.List(fields.Nested(SiteRef))
    open_orders = fields.List(fields.Nested(OrderSchema))
    past_orders = fields.List(fields.Nested(OrderSchema))
    open_tickets = fields.List(fields.Nested(TicketSchema))
    past_tickets = fields.List(fields.Nested(TicketSchema))
    satisfaction = fields.Nested(
        SatisfactionSchema,
        allow_none=True,
        metadata={"description": "recent satisfaction; null while the customer has rated nothing"},
    )
    contacts_to_review = fields.Integer()
    review_contact_ids = fields.List(
        Id(), metadata={"description": "contacts made for unknown senders: link them or confirm them as new"}
    )


@contacts_blp.route("/customers/recognize")
class Recognize(View):
    """Find the customer behind an email, phone or external id."""

    @contacts_blp.arguments(RecognizeSchema)
    @contacts_blp.response(200, RecognitionSchema)
    @contacts_blp.alt_response(422, schema=ErrorSchema, description="No email, phone or external id")
    def post(self, data: dict[str, Any]) -> recognition.Recognition:
        """Recognise a sender; an unknown one gets a new contact flagged for review (never merged silently)."""
        channel = data.pop("channel")
        return recognition.recognise(
            database.session(),
            actor=actor(),
            sender=recognition.Sender(**data),
            channel=channel,
            phone_region=settings().phone_region,
        )


@contacts_blp.route("/customer-contacts/review")
class ReviewQueue(View):
    """Contacts waiting for an agent to link or confirm them."""

    @contacts_blp.response(200, ReviewContactSchema(many=True))
    @contacts_blp.paginate()
    def get(self, pagination_parameters: Any) -> list[CustomerContact]:
        """The review queue, oldest first."""
        result = recognition.review_queue(database.session(), actor=actor(), **paging(pagination_parameters))
        return page_items(result, pagination_parameters)


@contacts_blp.route("/customer-contacts/<id:contact_id>/link")
class LinkContact(View):
    """The sender is an existing customer."""

    @contacts_blp.arguments(LinkContactSchema)
    @contacts_blp.response(200, ReviewContactSchema)
    @contacts_blp.alt_response(409, schema=ErrorSchema, description="Reviewed already")
    def post(self, data: dict[str, Any], contact_id: int) -> CustomerContact:
        """Move the contact (and its tickets) to that customer."""
        return recognition.link_to(
            database.session(), actor=actor(), contact_id=contact_id, customer_id=data["customer_id"]
        )


@contacts_blp.route("/customer-contacts/<id:contact_id>/confirm")
class ConfirmContact(View):
    """The sender is a new customer."""

    @contacts_blp.response(200, ReviewContactSchema)
    @contacts_blp.alt_response(409, schema=ErrorSchema, description="Reviewed already")
    def post(self, contact_id: int) -> CustomerContact:
        """Confirm the new customer: the flag is cleared."""
        return recognition.confirm_new(database.session(), actor=actor(), contact_id=contact_id)


@contacts_blp.route("/customers/<id:customer_id>/profile")
class Profile(View):
    """The customer beside the ticket."""

    @contacts_blp.response(200, ProfileSchema)
    @contacts_blp.alt_response(404, schema=ErrorSchema, description="No such customer")
    def get(self, customer_id: int) -> flows.Profile:
        """Tier, sites, open and past orders and tickets, recent satisfaction."""
        return flows.profile(database.session(), actor=actor(), customer_id=customer_id)
