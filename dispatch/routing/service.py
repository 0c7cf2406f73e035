"""Desk teams and members, agents' capacity, presence and hours, and routing rules (first match wins)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.orders.models import Priority
from dispatch.routing import conditions, hours, wake
from dispatch.routing.models import (
    AssignmentStrategy,
    DeskAgent,
    DeskTeam,
    DeskTeamMember,
    DeskTier,
    RoutingRule,
)
from dispatch.sites.service import check_time_zone
from dispatch.tickets import states
from dispatch.tickets.models import Ticket, TicketCategory
from dispatch.users.models import User

ADMINS = frozenset({Role.ADMIN})
PRIORITY_WEIGHT = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}
"""How much an open ticket weighs in an agent's load (least-loaded assignment)."""
MAX_CAPACITY = 1000
_TEAM_VIEW = events.fields("code", "name", "tier", "strategy", "escalates_to_id", "active")
_AGENT_VIEW = events.fields("capacity", "away", "time_zone", "working_hours", "skills")
_RULE_VIEW = events.fields("position", "name", "condition", "actions", "active")


# --- teams -------------------------------------------------------------------------------------


def get_team_or_raise(session: Session, *, actor: Actor, team_id: int) -> DeskTeam:
    """The desk team, for staff (else 403), or :class:`NotFound`."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read desk teams (allowed: %(allowed)s)."))
    team = session.get(DeskTeam, team_id)
    if team is None:
        raise NotFound(_("desk team %(id)s not found", id=team_id))
    return team


def list_teams(session: Session, *, actor: Actor) -> list[DeskTeam]:
    """Every desk team, first line first."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read desk teams (allowed: %(allowed)s)."))
    tiers = case({t.value: i for i, t in enumerate(DeskTier)}, value=DeskTeam.tier)
    return list(session.scalars(select(DeskTeam).order_by(tiers, DeskTeam.name, DeskTeam.id)))


def _team_ref(session: Session, team_id: int | None, field: str) -> DeskTeam | None:
    if team_id is None:
        return None
    team = session.get(DeskTeam, team_id)
    if team is None:
        raise Invalid(_("desk team %(id)s does not exist", id=team_id), errors={field: ["no such desk team"]})
    return team


def create_team(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    tier: DeskTier = DeskTier.FIRST_LINE,
    strategy: AssignmentStrategy = AssignmentStrategy.ROUND_ROBIN,
    escalates_to_id: int | None = None,
) -> DeskTeam:
    """Add a desk team (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage desk teams (allowed: %(allowed)s).")
    )
    if session.scalar(select(DeskTeam.id).where(DeskTeam.code == code)) is not None:
        raise Conflict(
            _("a desk team with code %(code)s already exists", code=code), errors={"code": ["already used"]}
        )
    _team_ref(session, escalates_to_id, "escalates_to_id")
    team = DeskTeam(
        code=code, name=name.strip(), tier=tier, strategy=strategy, escalates_to_id=escalates_to_id
    )
    session.add(team)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="desk_team",
        entity_id=team.id,
        action="created",
        after=_TEAM_VIEW(team),
    )
    return team


def update_team(session: Session, *, actor: Actor, team_id: int, changes: Mapping[str, Any]) -> DeskTeam:
    """Change a team's name, tier, strategy, next tier or active flag (admins)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage desk teams (allowed: %(allowed)s).")
    )
    team = get_team_or_raise(session, actor=actor, team_id=team_id)
    if (
        "code" in changes
        and changes["code"] != team.code
        and session.scalar(select(DeskTeam.id).where(DeskTeam.code == changes["code"])) is not None
    ):
        raise Conflict(
            _("a desk team with code %(code)s already exists", code=changes["code"]),
            errors={"code": ["already used"]},
        )
    if "escalates_to_id" in changes:
        _check_ladder(session, team, changes["escalates_to_id"])
    with events.recording(session, actor=actor, entity=team, entity_type="desk_team", view=_TEAM_VIEW):
        for name in ("code", "name", "tier", "strategy", "escalates_to_id", "active"):
            if name in changes:
                setattr(team, name, changes[name])
    wake.request(session, team.id)
    return team


def _check_ladder(session: Session, team: DeskTeam, escalates_to_id: int | None) -> None:
    """The next tier exists and escalating from it never comes back to this team."""
    seen = {team.id}
    current = _team_ref(session, escalates_to_id, "escalates_to_id")
    while current is not None:
        if current.id in seen:
            raise Invalid(
                _("escalating from team %(team)s would come back to it", team=team.name),
                errors={"escalates_to_id": ["makes a loop"]},
            )
        seen.add(current.id)
        current = session.get(DeskTeam, current.escalates_to_id) if current.escalates_to_id else None


def _staff_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in STAFF:
        raise Invalid(
            _("user %(id)s is not an active staff user", id=user_id),
            errors={"user_id": ["only active admins, dispatchers and agents work tickets"]},
        )
    return user


def set_member(
    session: Session, *, actor: Actor, team_id: int, user_id: int, is_lead: bool, default_time_zone: str
) -> DeskTeamMember:
    """Put an agent in a team (or change whether they lead it); their agent profile is made if need be."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage desk teams (allowed: %(allowed)s).")
    )
    team = get_team_or_raise(session, actor=actor, team_id=team_id)
    _staff_user(session, user_id)
    ensure_agent(session, user_id=user_id, default_time_zone=default_time_zone)
    member = session.get(DeskTeamMember, (team.id, user_id))
    action = "member_changed" if member is not None else "member_added"
    if member is None:
        member = DeskTeamMember(team_id=team.id, user_id=user_id, is_lead=is_lead)
        team.members.append(member)
    member.is_lead = is_lead
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="desk_team",
        entity_id=team.id,
        action=action,
        payload={"user_id": user_id, "is_lead": is_lead},
    )
    wake.request(session, team.id)
    return member


def remove_member(session: Session, *, actor: Actor, team_id: int, user_id: int) -> None:
    """Take an agent out of a team (their tickets stay assigned to them)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage desk teams (allowed: %(allowed)s).")
    )
    team = get_team_or_raise(session, actor=actor, team_id=team_id)
    member = session.get(DeskTeamMember, (team.id, user_id))
    if member is None:
        raise NotFound(_("user %(user)s is not in team %(team)s", user=user_id, team=team.name))
    team.members.remove(member)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="desk_team",
        entity_id=team.id,
        action="member_removed",
        payload={"user_id": user_id},
    )


def team_ids_of(session: Session, user_id: int | None) -> list[int]:
    """The desk teams a user belongs to."""
    if user_id is None:
        return []
    return list(session.scalars(select(DeskTeamMember.team_id).where(DeskTeamMember.user_id == user_id)))


# --- agents ------------------------------------------------------------------------------------


def ensure_agent(session: Session, *, user_id: int, default_time_zone: str) -> DeskAgent:
    """The agent profile of a staff user, made with the defaults (capacity 10, always on shift) if none."""
    agent = session.get(DeskAgent, user_id)
    if agent is None:
        agent = DeskAgent(user_id=user_id, capacity=10, away=False, time_zone=default_time_zone, skills=[])
        session.add(agent)
        session.flush()
    return agent


def get_agent_or_raise(session: Session, *, actor: Actor, user_id: int) -> DeskAgent:
    """An agent's profile (staff), or :class:`NotFound`."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read agents (allowed: %(allowed)s)."))
    agent = session.get(DeskAgent, user_id)
    if agent is None:
        raise NotFound(_("agent %(id)s not found (add them to a desk team first)", id=user_id))
    return agent


def list_agents(session: Session, *, actor: Actor, team_id: int | None = None) -> list[DeskAgent]:
    """Agents, all or of one team, by user id."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read agents (allowed: %(allowed)s)."))
    stmt = select(DeskAgent).order_by(DeskAgent.user_id)
    if team_id is not None:
        stmt = stmt.join(DeskTeamMember, DeskTeamMember.user_id == DeskAgent.user_id).where(
            DeskTeamMember.team_id == team_id
        )
    return list(session.scalars(stmt))


def _skills(values: Iterable[Any], field: str) -> list[str]:
    clean = sorted({str(v).strip().lower() for v in values if str(v).strip()})
    if any(len(v) > 50 for v in clean) or len(clean) > 50:
        raise Invalid(
            _("too many or too long skill codes"), errors={field: ["at most 50 codes of 50 characters"]}
        )
    return clean


def update_agent(session: Session, *, actor: Actor, user_id: int, changes: Mapping[str, Any]) -> DeskAgent:
    """Change an agent's capacity, hours, time zone or skills (admins); more room wakes assignment."""
    require_role(
        actor,
        ADMINS,
        to=_("Your role (%(role)s) may not change agents' capacity, hours or skills (allowed: %(allowed)s)."),
    )
    agent = get_agent_or_raise(session, actor=actor, user_id=user_id)
    if "capacity" in changes and not 0 <= changes["capacity"] <= MAX_CAPACITY:
        raise Invalid(_("capacity is out of range"), errors={"capacity": [f"between 0 and {MAX_CAPACITY}"]})
    with events.recording(
        session, actor=actor, entity=agent, entity_type="desk_agent", view=_AGENT_VIEW
    ) as payload:
        if "capacity" in changes:
            agent.capacity = changes["capacity"]
        if "working_hours" in changes:
            agent.working_hours = hours.validate(changes["working_hours"])
        if "time_zone" in changes:
            agent.time_zone = check_time_zone(changes["time_zone"])
        if "skills" in changes:
            agent.skills = _skills(changes["skills"], "skills")
        payload["user_id"] = user_id
    for team_id in team_ids_of(session, user_id):
        wake.request(session, team_id)
    return agent


def set_presence(session: Session, *, actor: Actor, user_id: int, away: bool) -> DeskAgent:
    """An agent is away (no new tickets) or back; agents set their own, admins anyone's."""
    if actor.user_id != user_id:
        require_role(
            actor,
            ADMINS,
            to=_("Your role (%(role)s) may not set another agent's presence (allowed: %(allowed)s)."),
        )
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not set presence (allowed: %(allowed)s)."))
    agent = get_agent_or_raise(session, actor=actor, user_id=user_id)
    if agent.away == away:
        return agent
    with events.recording(
        session,
        actor=actor,
        entity=agent,
        entity_type="desk_agent",
        view=_AGENT_VIEW,
        action="away" if away else "back",
    ) as payload:
        agent.away = away
        agent.away_since = utcnow() if away else None
        payload["user_id"] = user_id
    if not away:
        for team_id in team_ids_of(session, user_id):
            wake.request(session, team_id)
    return agent


@dataclass(frozen=True)
class Load:
    """An agent's open tickets: how many, and weighted by priority."""

    count: int = 0
    weighted: int = 0


def loads(session: Session, user_ids: Sequence[int]) -> dict[int, Load]:
    """The open-ticket load of each of these agents (one grouped query on the assignee index)."""
    if not user_ids:
        return {}
    weight = case({p.value: w for p, w in PRIORITY_WEIGHT.items()}, value=Ticket.priority, else_=2)
    rows = session.execute(
        select(Ticket.assignee_id, func.count(), func.sum(weight))
        .where(Ticket.assignee_id.in_(list(user_ids)), Ticket.status.in_(list(states.WORKING)))
        .group_by(Ticket.assignee_id)
    )
    found = {int(row[0]): Load(int(row[1]), int(row[2] or 0)) for row in rows}
    return {uid: found.get(uid, Load()) for uid in user_ids}


# --- rules -------------------------------------------------------------------------------------


def get_rule_or_raise(session: Session, *, actor: Actor, rule_id: int) -> RoutingRule:
    """A routing rule (staff read them), or :class:`NotFound`."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read routing rules (allowed: %(allowed)s).")
    )
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(_("routing rule %(id)s not found", id=rule_id))
    return rule


def list_rules(session: Session, *, actor: Actor) -> list[RoutingRule]:
    """The rules in the order they are tried."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read routing rules (allowed: %(allowed)s).")
    )
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position)))


def _category_exists(session: Session) -> Any:
    return lambda cid: session.get(TicketCategory, cid) is not None


def validate_actions(session: Session, actions: Mapping[str, Any]) -> dict[str, Any]:
    """Rule actions: any of team_id, priority, category_id, sla_policy_id, tags; else :class:`Invalid`."""
    known = ("team_id", "priority", "category_id", "sla_policy_id", "tags")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(actions) - set(known))
    if unknown:
        errors["actions"] = [f"unknown action {unknown[0]!r}; use: {', '.join(known)}"]
    if not actions:
        errors["actions"] = ["a rule must set at least one of: " + ", ".join(known)]
    clean: dict[str, Any] = {}
    team_id = actions.get("team_id")
    if team_id is not None:
        if not isinstance(team_id, int) or session.get(DeskTeam, team_id) is None:
            errors["actions.team_id"] = [f"no desk team {team_id!r}"]
        clean["team_id"] = team_id
    if actions.get("priority") is not None:
        if actions["priority"] not in {p.value for p in Priority}:
            errors["actions.priority"] = [f"use one of: {', '.join(p.value for p in Priority)}"]
        clean["priority"] = actions["priority"]
    category_id = actions.get("category_id")
    if category_id is not None:
        if not isinstance(category_id, int) or session.get(TicketCategory, category_id) is None:
            errors["actions.category_id"] = [f"no category {category_id!r}"]
        clean["category_id"] = category_id
    if actions.get("sla_policy_id") is not None:
        if not isinstance(actions["sla_policy_id"], int) or actions["sla_policy_id"] < 1:
            errors["actions.sla_policy_id"] = ["a positive integer id"]
        clean["sla_policy_id"] = actions["sla_policy_id"]
    if actions.get("tags") is not None:
        tags = actions["tags"]
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= 50 for t in tags
        ):
            errors["actions.tags"] = ["a list of tags of 1 to 50 characters"]
        else:
            clean["tags"] = sorted({t.strip() for t in tags})
    if errors:
        first = next(iter(errors))
        raise Invalid(
            _(
                "the rule's actions are not valid at %(path)s: %(problem)s",
                path=first,
                problem=errors[first][0],
            ),
            errors=errors,
        )
    return clean


def _position_free(session: Session, position: int, rule_id: int | None) -> None:
    if position < 1:
        raise Invalid(_("positions start at 1"), errors={"position": ["at least 1"]})
    clash = session.scalar(
        select(RoutingRule).where(RoutingRule.position == position, RoutingRule.id != (rule_id or 0))
    )
    if clash is not None:
        raise Conflict(
            _(
                "position %(position)s is taken by rule %(name)s: pick a free one or reorder",
                position=position,
                name=clash.name,
            ),
            errors={"position": [f"taken by rule {clash.id}"]},
        )


def create_rule(
    session: Session,
    *,
    actor: Actor,
    name: str,
    condition: Mapping[str, Any],
    actions: Mapping[str, Any],
    position: int | None = None,
    active: bool = True,
) -> RoutingRule:
    """Add a rule (admins); without a position it goes last."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage routing rules (allowed: %(allowed)s).")
    )
    checked = conditions.validate(condition, category_exists=_category_exists(session))
    clean = validate_actions(session, actions)
    if position is None:
        position = (session.scalar(select(func.max(RoutingRule.position))) or 0) + 1
    _position_free(session, position, None)
    rule = RoutingRule(position=position, name=name.strip(), condition=checked, actions=clean, active=active)
    session.add(rule)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="routing_rule",
        entity_id=rule.id,
        action="created",
        after=_RULE_VIEW(rule),
    )
    return rule


def update_rule(session: Session, *, actor: Actor, rule_id: int, changes: Mapping[str, Any]) -> RoutingRule:
    """Change a rule (admins); the condition and actions are checked again."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage routing rules (allowed: %(allowed)s).")
    )
    rule = get_rule_or_raise(session, actor=actor, rule_id=rule_id)
    if "condition" in changes:
        conditions.validate(changes["condition"], category_exists=_category_exists(session))
    clean = validate_actions(session, changes["actions"]) if "actions" in changes else None
    if "position" in changes:
        _position_free(session, changes["position"], rule.id)
    with events.recording(session, actor=actor, entity=rule, entity_type="routing_rule", view=_RULE_VIEW):
        for name in ("name", "condition", "position", "active"):
            if name in changes:
                setattr(rule, name, changes[name])
        if clean is not None:
            rule.actions = clean
    return rule


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    """Remove a rule (admins); tickets keep the record of what matched them."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage routing rules (allowed: %(allowed)s).")
    )
    rule = get_rule_or_raise(session, actor=actor, rule_id=rule_id)
    events.record(
        session,
        actor=actor,
        entity_type="routing_rule",
        entity_id=rule.id,
        action="deleted",
        before=_RULE_VIEW(rule),
    )
    session.delete(rule)
    session.flush()


def reorder_rules(session: Session, *, actor: Actor, rule_ids: Sequence[int]) -> list[RoutingRule]:
    """Give every rule a new position: the first id is tried first (the list names each rule once)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage routing rules (allowed: %(allowed)s).")
    )
    rules = {r.id: r for r in session.scalars(select(RoutingRule))}
    if sorted(rule_ids) != sorted(rules) or len(set(rule_ids)) != len(rule_ids):
        raise Invalid(
            _("name every routing rule exactly once, in the new order"),
            errors={"rule_ids": [f"expected each of {sorted(rules)} once"]},
        )
    for i, rule in enumerate(rules.values()):
        rule.position = -(i + 1)  # out of the way first: positions are unique at every step
    session.flush()
    for position, rule_id in enumerate(rule_ids, start=1):
        rules[rule_id].position = position
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="routing_rule",
        entity_id=0,
        action="reordered",
        payload={"rule_ids": list(rule_ids)},
    )
    return [rules[i] for i in rule_ids]


def facts_of(session: Session, ticket: Ticket) -> conditions.Facts:
    """What the rules can see of a ticket."""
    from dispatch.customers.models import Customer
    from dispatch.sites.models import Site

    customer = session.get(Customer, ticket.customer_id)
    categories: set[int] = set()
    current = session.get(TicketCategory, ticket.category_id) if ticket.category_id else None
    while current is not None and current.id not in categories:
        categories.add(current.id)
        current = session.get(TicketCategory, current.parent_id) if current.parent_id else None
    regions: set[str] = set()
    site = session.get(Site, ticket.site_id) if ticket.site_id else None
    if site is not None:
        if site.city.strip():
            regions.add(site.city.strip().lower())
        if site.postcode.strip():
            regions.add(site.postcode.strip().split()[0].lower())
    return conditions.Facts(
        channel=ticket.channel.value,
        kind=ticket.kind.value,
        priority=ticket.priority.value,
        tier=customer.tier.value if customer is not None else "standard",
        subject=ticket.subject,
        categories=frozenset(categories),
        regions=frozenset(regions),
    )


def route(session: Session, *, actor: Actor, ticket: Ticket, given: Iterable[str] = ()) -> RoutingRule | None:
    """Try the active rules in order on a new ticket; the first match sets what was not given by hand.

    The matched rule and why it matched are stored on the ticket and in its ``routed`` event.
    """
    facts = facts_of(session, ticket)
    kept = set(given)
    for rule in session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.position)
    ):
        match = conditions.evaluate(rule.condition, facts)
        if match is None:
            continue
        applied: dict[str, Any] = {}
        for name, value in rule.actions.items():
            if name in kept:
                continue
            if name == "priority":
                value = Priority(value)
            if name == "tags":
                value = sorted(set(ticket.tags or []) | set(value))
            if name == "team_id" and session.get(DeskTeam, value) is None:
                continue  # the team was removed since the rule was saved
            setattr(ticket, name, value)
            applied[name] = value.value if isinstance(value, Priority) else value
        ticket.routing_rule_id = rule.id
        ticket.routing_match = {
            "rule_id": rule.id,
            "rule": rule.name,
            "position": rule.position,
            "held": match.held,
        }
        session.flush()
        events.record(
            session,
            actor=actor,
            entity_type="ticket",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            action="routed",
            after=applied,
            payload=ticket.routing_match,
        )
        return rule
    return None


def check_member(session: Session, *, team_id: int, user_id: int) -> None:
    """Raise :class:`Invalid` unless the user is in the team."""
    if session.get(DeskTeamMember, (team_id, user_id)) is None:
        team = session.get(DeskTeam, team_id)
        raise Invalid(
            _(
                "user %(user)s is not in team %(team)s: transfer the ticket first",
                user=user_id,
                team=team.name if team else team_id,
            ),
            errors={"assignee_id": ["not a member of the ticket's team"]},
        )
