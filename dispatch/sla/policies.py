"""SLA policies: kept in an explicit order (admins), and the one a ticket gets: the first whose
condition holds, unless a routing rule or an agent named one. The match and the reason are stored on
the ticket (``sla_match``) and in its ``sla.policy_applied`` event, which also carries the targets, so
later edits of the policy do not rewrite the history of tickets already timed by it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, SYSTEM, Actor, Role, require_role
from dispatch.calendars.models import BusinessCalendar
from dispatch.errors import Conflict, Invalid, NotFound, StaleVersion
from dispatch.events import service as events
from dispatch.events.models import Event
from dispatch.i18n import _
from dispatch.routing import conditions
from dispatch.routing import service as routing
from dispatch.routing.models import DeskTeam
from dispatch.sla.models import ClockKind, SlaClock, SlaPolicy
from dispatch.sla.timeline import APPLIED
from dispatch.tickets.models import Ticket

ADMINS = frozenset({Role.ADMIN})
MIN_TARGET_S = 60
MAX_TARGET_S = 366 * 86400
MAX_ESCALATIONS = 10
STAGES = ("warning", "breach")
ACTIONS = ("notify_lead", "raise_priority", "move_to_team")
CLOCKS = ("any", *(k.value for k in ClockKind))
TARGETS = ("first_response_s", "next_response_s", "resolution_s")
EDITABLE = (
    "name",
    "condition",
    "calendar_id",
    *TARGETS,
    "ola_targets",
    "pause_on_hold",
    "warn_percent",
    "escalations",
    "active",
)
_VIEW = events.fields("position", *EDITABLE)
EMPTY: dict[str, Any] = {"all": []}


def get_or_raise(session: Session, *, actor: Actor, policy_id: int) -> SlaPolicy:
    """The policy (staff read policies), or :class:`NotFound`."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read SLA policies (allowed: %(allowed)s)."))
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(_("SLA policy %(id)s not found", id=policy_id))
    return policy


def list_policies(session: Session, *, actor: Actor) -> list[SlaPolicy]:
    """The policies in the order they are tried."""
    require_role(actor, STAFF, to=_("Your role (%(role)s) may not read SLA policies (allowed: %(allowed)s)."))
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position)))


def check_version(policy: SlaPolicy, expected: int | None) -> None:
    """Raise :class:`StaleVersion` unless the client read the current version (If-Match)."""
    if expected is not None and expected != policy.version:
        raise StaleVersion(_("SLA policy %(name)s", name=policy.name), expected, policy.version)


# --- checks ------------------------------------------------------------------------------------


def _condition(session: Session, value: Any) -> dict[str, Any]:
    if value is None or value == {} or value == EMPTY:
        return dict(EMPTY)
    try:
        return conditions.validate(value, category_exists=lambda cid: _category(session, cid))
    except Invalid as exc:
        errors = exc.errors or {}
        first = next(iter(errors), "condition")
        problem = (errors.get(first) or [""])[0]
        raise Invalid(
            _("the policy's condition is not valid at %(path)s: %(problem)s", path=first, problem=problem),
            errors=errors,
        ) from exc


def _category(session: Session, category_id: int) -> bool:
    from dispatch.tickets.models import TicketCategory

    return session.get(TicketCategory, category_id) is not None


def _target(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_TARGET_S <= value <= MAX_TARGET_S:
        raise Invalid(
            _(
                "a target is a number of business seconds from %(least)s to %(most)s",
                least=MIN_TARGET_S,
                most=MAX_TARGET_S,
            ),
            errors={field: [f"{MIN_TARGET_S} to {MAX_TARGET_S} seconds"]},
        )
    return value


def _ola(session: Session, value: Any) -> list[dict[str, int]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 50:
        raise Invalid(
            _('OLA targets are a list such as [{"team_id": 3, "target_s": 14400}]'),
            errors={"ola_targets": ["a list of at most 50 {team_id, target_s}"]},
        )
    clean: list[dict[str, int]] = []
    for i, item in enumerate(value):
        where = f"ola_targets[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"team_id", "target_s"}:
            raise Invalid(
                _('OLA targets are a list such as [{"team_id": 3, "target_s": 14400}]'),
                errors={where: ["expected {team_id, target_s}"]},
            )
        team_id = item["team_id"]
        if (
            isinstance(team_id, bool)
            or not isinstance(team_id, int)
            or session.get(DeskTeam, team_id) is None
        ):
            raise Invalid(
                _("desk team %(id)s does not exist", id=team_id),
                errors={f"{where}.team_id": ["no such desk team"]},
            )
        if any(c["team_id"] == team_id for c in clean):
            raise Invalid(
                _("desk team %(id)s has two OLA targets: give it one", id=team_id),
                errors={f"{where}.team_id": ["already has a target"]},
            )
        target = _target(item["target_s"], f"{where}.target_s")
        assert target is not None
        clean.append({"team_id": team_id, "target_s": target})
    return clean


def _escalations(session: Session, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ESCALATIONS:
        raise Invalid(
            _("escalations are a list of at most 10 actions"),
            errors={"escalations": [f"at most {MAX_ESCALATIONS}"]},
        )
    clean = []
    for i, item in enumerate(value):
        where = f"escalations[{i}]"
        if not isinstance(item, Mapping):
            raise Invalid(
                _('an escalation is {"on": "breach", "clock": "any", "action": "notify_lead"}'),
                errors={where: ["expected an object"]},
            )
        unknown = sorted(set(item) - {"on", "clock", "action", "team_id"})
        problems: dict[str, list[str]] = {}
        if unknown:
            problems[f"{where}.{unknown[0]}"] = ["unknown key; use on, clock, action, team_id"]
        if item.get("on") not in STAGES:
            problems[f"{where}.on"] = [f"one of {', '.join(STAGES)}"]
        if item.get("clock", "any") not in CLOCKS:
            problems[f"{where}.clock"] = [f"one of {', '.join(CLOCKS)}"]
        if item.get("action") not in ACTIONS:
            problems[f"{where}.action"] = [f"one of {', '.join(ACTIONS)}"]
        team_id = item.get("team_id")
        if item.get("action") == "move_to_team":
            if (
                isinstance(team_id, bool)
                or not isinstance(team_id, int)
                or session.get(DeskTeam, team_id) is None
            ):
                problems[f"{where}.team_id"] = ["moving a ticket needs an existing desk team"]
        elif team_id is not None:
            problems[f"{where}.team_id"] = ["only move_to_team takes a team"]
        if problems:
            first = next(iter(problems))
            raise Invalid(
                _(
                    "the escalation at %(path)s is not usable: %(problem)s",
                    path=first,
                    problem=problems[first][0],
                ),
                errors=problems,
            )
        entry = {"on": item["on"], "clock": item.get("clock", "any"), "action": item["action"]}
        if team_id is not None:
            entry["team_id"] = team_id
        clean.append(entry)
    return clean


def _calendar(session: Session, calendar_id: Any) -> int:
    if (
        isinstance(calendar_id, bool)
        or not isinstance(calendar_id, int)
        or session.get(BusinessCalendar, calendar_id) is None
    ):
        raise Invalid(
            _("business calendar %(id)s does not exist", id=calendar_id),
            errors={"calendar_id": ["no such calendar"]},
        )
    return calendar_id


def _name(session: Session, name: Any, policy_id: int | None) -> str:
    text = (name or "").strip() if isinstance(name, str) else ""
    if not text or len(text) > 200:
        raise Invalid(
            _("give the policy a name (1 to 200 characters)"), errors={"name": ["1 to 200 characters"]}
        )
    clash = session.scalar(
        select(SlaPolicy.id).where(SlaPolicy.name == text, SlaPolicy.id != (policy_id or 0))
    )
    if clash is not None:
        raise Conflict(
            _("an SLA policy named %(name)s already exists", name=text), errors={"name": ["already used"]}
        )
    return text


def _check_targets(policy: SlaPolicy) -> None:
    if not any(getattr(policy, t) for t in TARGETS) and not policy.ola_targets:
        raise Invalid(
            _("a policy needs at least one target: first response, next response, resolution or a team's"),
            errors={"resolution_s": ["give at least one target"]},
        )
    if not 1 <= policy.warn_percent <= 99:
        raise Invalid(
            _("warn when 1 to 99 percent of a target is used"), errors={"warn_percent": ["1 to 99"]}
        )


def check_order(session: Session) -> None:
    """A policy without a condition matches every ticket: it must be the last one, else :class:`Invalid`."""
    session.flush()
    ordered = list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position)))
    for policy in ordered[:-1]:
        if policy.is_catch_all:
            raise Invalid(
                _(
                    "policy %(name)s has no condition, so it matches every ticket: it must be the last one, "
                    "or the policies after it would never be used",
                    name=policy.name,
                ),
                errors={"position": [f"policy {policy.id} has an empty condition and is not last"]},
            )


def _position_free(session: Session, position: int, policy_id: int | None) -> None:
    if position < 1:
        raise Invalid(_("positions start at 1"), errors={"position": ["at least 1"]})
    clash = session.scalar(
        select(SlaPolicy).where(SlaPolicy.position == position, SlaPolicy.id != (policy_id or 0))
    )
    if clash is not None:
        raise Conflict(
            _(
                "position %(position)s is taken by policy %(name)s: pick a free one or reorder",
                position=position,
                name=clash.name,
            ),
            errors={"position": [f"taken by policy {clash.id}"]},
        )


# --- writes ------------------------------------------------------------------------------------


def create(session: Session, *, actor: Actor, position: int | None = None, **values: Any) -> SlaPolicy:
    """Add a policy (admins); without a position it goes last."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage SLA policies (allowed: %(allowed)s).")
    )
    if position is None:
        position = (session.scalar(select(func.max(SlaPolicy.position))) or 0) + 1
    _position_free(session, position, None)
    policy = SlaPolicy(
        position=position,
        name=_name(session, values.get("name"), None),
        condition=_condition(session, values.get("condition")),
        calendar_id=_calendar(session, values.get("calendar_id")),
        first_response_s=_target(values.get("first_response_s"), "first_response_s"),
        next_response_s=_target(values.get("next_response_s"), "next_response_s"),
        resolution_s=_target(values.get("resolution_s"), "resolution_s"),
        ola_targets=_ola(session, values.get("ola_targets")),
        pause_on_hold=bool(values.get("pause_on_hold", False)),
        warn_percent=values.get("warn_percent", 80),
        escalations=_escalations(session, values.get("escalations")),
        active=bool(values.get("active", True)),
    )
    _check_targets(policy)
    session.add(policy)
    check_order(session)
    events.record(
        session,
        actor=actor,
        entity_type="sla_policy",
        entity_id=policy.id,
        action="created",
        after=_VIEW(policy),
    )
    return policy


def update(
    session: Session,
    *,
    actor: Actor,
    policy_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> SlaPolicy:
    """Change a policy (admins). Tickets keep the targets they were given; new and re-chosen ones get these."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage SLA policies (allowed: %(allowed)s).")
    )
    policy = get_or_raise(session, actor=actor, policy_id=policy_id)
    check_version(policy, expected_version)
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "name":
            clean[name] = _name(session, value, policy.id)
        elif name == "condition":
            clean[name] = _condition(session, value)
        elif name == "calendar_id":
            clean[name] = _calendar(session, value)
        elif name in TARGETS:
            clean[name] = _target(value, name)
        elif name == "ola_targets":
            clean[name] = _ola(session, value)
        elif name == "escalations":
            clean[name] = _escalations(session, value)
        elif name == "position":
            _position_free(session, value, policy.id)
            clean[name] = value
        elif name in ("pause_on_hold", "active", "warn_percent"):
            clean[name] = value
    with events.recording(session, actor=actor, entity=policy, entity_type="sla_policy", view=_VIEW):
        for name, value in clean.items():
            setattr(policy, name, value)
        _check_targets(policy)
        check_order(session)
    return policy


def delete(session: Session, *, actor: Actor, policy_id: int, expected_version: int | None) -> None:
    """Remove a policy no running clock uses (admins); retire one in use with ``active: false``."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage SLA policies (allowed: %(allowed)s).")
    )
    policy = get_or_raise(session, actor=actor, policy_id=policy_id)
    check_version(policy, expected_version)
    running = session.scalar(
        select(SlaClock.id).where(SlaClock.policy_id == policy.id, SlaClock.stopped_at.is_(None)).limit(1)
    )
    if running is not None:
        raise Conflict(
            _("policy %(name)s still times open tickets: set it inactive instead", name=policy.name),
            errors={"policy_id": ["has running clocks"]},
        )
    events.record(
        session,
        actor=actor,
        entity_type="sla_policy",
        entity_id=policy.id,
        action="deleted",
        before=_VIEW(policy),
    )
    session.delete(policy)
    session.flush()


def reorder(session: Session, *, actor: Actor, policy_ids: Sequence[int]) -> list[SlaPolicy]:
    """Number the policies 1, 2, 3... in the order given (each named once; a catch-all must be last)."""
    require_role(
        actor, ADMINS, to=_("Your role (%(role)s) may not manage SLA policies (allowed: %(allowed)s).")
    )
    found = {p.id: p for p in session.scalars(select(SlaPolicy))}
    if sorted(policy_ids) != sorted(found) or len(set(policy_ids)) != len(policy_ids):
        raise Invalid(
            _("name every SLA policy exactly once, in the new order"),
            errors={"policy_ids": [f"expected each of {sorted(found)} once"]},
        )
    for i, policy in enumerate(found.values()):
        policy.position = -(i + 1)  # out of the way first: positions are unique at every step
    session.flush()
    for position, policy_id in enumerate(policy_ids, start=1):
        found[policy_id].position = position
    check_order(session)
    events.record(
        session,
        actor=actor,
        entity_type="sla_policy",
        entity_id=0,
        action="reordered",
        payload={"policy_ids": list(policy_ids)},
    )
    return [found[i] for i in policy_ids]


# --- which policy a ticket gets ----------------------------------------------------------------


def snapshot(policy: SlaPolicy) -> dict[str, Any]:
    """What the clocks need of a policy, as the ticket's ``sla.policy_applied`` event keeps it."""
    return {
        "policy_id": policy.id,
        "name": policy.name,
        "calendar_id": policy.calendar_id,
        "targets": {
            "first_response": policy.first_response_s,
            "next_response": policy.next_response_s,
            "resolution": policy.resolution_s,
        },
        "ola": {str(t["team_id"]): t["target_s"] for t in policy.ola_targets},
        "pause_on_hold": policy.pause_on_hold,
        "warn_percent": policy.warn_percent,
    }


def by_order(session: Session, ticket: Ticket) -> tuple[SlaPolicy | None, dict[str, Any]]:
    """The first active policy whose condition holds for the ticket, and why."""
    facts = routing.facts_of(session, ticket)
    for policy in session.scalars(
        select(SlaPolicy).where(SlaPolicy.active.is_(True)).order_by(SlaPolicy.position)
    ):
        match = conditions.evaluate(policy.condition, facts)
        if match is not None:
            return policy, {
                "by": "order",
                "policy_id": policy.id,
                "policy": policy.name,
                "position": policy.position,
                "held": match.held,
            }
    return None, {"by": "order", "policy_id": None, "reason": "no policy's condition holds"}


def any_policy(session: Session) -> bool:
    """Whether there is a policy at all (without any, tickets are left alone)."""
    return session.scalar(select(SlaPolicy.id).limit(1)) is not None


def _named(session: Session, policy_id: int) -> SlaPolicy | None:
    policy = session.get(SlaPolicy, policy_id)
    return policy if policy is not None and policy.active else None


def _last_applied(session: Session, ticket_id: int) -> dict[str, Any] | None:
    event = session.scalar(
        select(Event)
        .where(Event.ticket_id == ticket_id, Event.action == APPLIED)
        .order_by(Event.id.desc())
        .limit(1)
    )
    return dict(event.payload or {}) if event is not None else None


def apply(
    session: Session,
    *,
    ticket: Ticket,
    policy: SlaPolicy | None,
    match: dict[str, Any],
    actor: Actor = SYSTEM,
) -> bool:
    """Give the ticket this policy (or none) and say why; records ``sla.policy_applied`` if anything changed."""
    wanted = snapshot(policy) if policy is not None else {"policy_id": None}
    last = _last_applied(session, ticket.id)
    before = {k: v for k, v in (last or {}).items() if k != "match"}
    if last is not None and before == wanted and ticket.sla_match == match:
        return False
    ticket.sla_policy_id = policy.id if policy is not None else None
    ticket.sla_match = match
    session.flush()  # the ticket's version moves now, before its ETag is read
    events.record(
        session,
        actor=actor,
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        action=APPLIED,
        payload={**wanted, "match": match},
    )
    return True


REVIEWED = ("priority", "kind", "category_id")


def review(session: Session, ticket: Ticket, event: Event) -> None:
    """Choose the ticket's policy when it opens, when a rule or an agent names one, or when what the
    policies look at changes (priority, kind, category) on a ticket whose policy came by order."""
    if not any_policy(session):
        return
    after = event.after or {}
    chosen_by = (ticket.sla_match or {}).get("by")
    if event.action in ("routed", "updated") and "sla_policy_id" in after:
        named = after["sla_policy_id"]
        how = "rule" if event.action == "routed" else "hand"
        if named is None:
            apply(session, ticket=ticket, **_by_order_kw(session, ticket))
            return
        policy = _named(session, named)
        if policy is None and how == "hand":
            raise Invalid(
                _("SLA policy %(id)s does not exist or is not active", id=named),
                errors={"sla_policy_id": ["no such active SLA policy"]},
            )
        if policy is None:
            found, match = by_order(session, ticket)
            match["reason"] = f"the rule named SLA policy {named}, which does not exist or is not active"
            apply(session, ticket=ticket, policy=found, match=match)
            return
        match = {"by": how, "policy_id": policy.id, "policy": policy.name, "position": policy.position}
        if how == "rule":
            match.update(rule_id=(event.payload or {}).get("rule_id"), rule=(event.payload or {}).get("rule"))
        else:
            match["user_id"] = event.actor_user_id
        apply(session, ticket=ticket, policy=policy, match=match)
        return
    if event.action == "created" or (
        event.action in ("routed", "updated") and chosen_by in (None, "order") and set(REVIEWED) & set(after)
    ):
        apply(session, ticket=ticket, **_by_order_kw(session, ticket))


def _by_order_kw(session: Session, ticket: Ticket) -> dict[str, Any]:
    policy, match = by_order(session, ticket)
    return {"policy": policy, "match": match}


def apply_to_open(session: Session) -> int:
    """Give every open ticket that has no policy decision yet the first policy that holds (demo, set-up)."""
    count = 0
    stmt = select(Ticket).where(Ticket.sla_match.is_(None), Ticket.closed_at.is_(None)).order_by(Ticket.id)
    for ticket in list(session.scalars(stmt)):
        policy, match = by_order(session, ticket)
        if apply(session, ticket=ticket, policy=policy, match=match):
            count += 1
    return count
