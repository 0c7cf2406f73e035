"""What happens to an order in its life: assign, dispatch, field work, cancel, reschedule, transfer.

Each action checks who may do it, the client's version (If-Match), and the state machine, changes
the order, and appends one event naming the action, the before/after and the reason.

A step the same person has already made (the order is at the step's target because of their own
last move) is answered with the order as it is, whatever version the client sent: a double tap or
a second phone repeating "accept" is a success, not a conflict, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, STAFF, Actor, Role, refusal, require_role
from dispatch.attachments import service as attachments
from dispatch.engineers.models import Engineer, Team
from dispatch.errors import Conflict, Invalid
from dispatch.events.models import Event
from dispatch.i18n import LazyText, _
from dispatch.notifications import visits as notifications
from dispatch.orders import field_rules, states
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus, OrderTimeWindow
from dispatch.visits import service as visits

FIELD_ACTIONS = ("accept", "decline", "start_travel", "check_in", "complete", "mark_incomplete")

REFUSALS: dict[str, LazyText] = {
    "accept": _("Your role (%(role)s) may not accept orders (allowed: %(allowed)s)."),
    "decline": _("Your role (%(role)s) may not decline orders (allowed: %(allowed)s)."),
    "start_travel": _("Your role (%(role)s) may not start travelling to jobs (allowed: %(allowed)s)."),
    "check_in": _("Your role (%(role)s) may not check in at jobs (allowed: %(allowed)s)."),
    "complete": _("Your role (%(role)s) may not complete orders (allowed: %(allowed)s)."),
    "mark_incomplete": _("Your role (%(role)s) may not mark orders incomplete (allowed: %(allowed)s)."),
    "assign": _("Your role (%(role)s) may not assign orders (allowed: %(allowed)s)."),
    "unassign": _("Your role (%(role)s) may not unassign orders (allowed: %(allowed)s)."),
    "transfer": _("Your role (%(role)s) may not transfer orders (allowed: %(allowed)s)."),
    "dispatch": _("Your role (%(role)s) may not dispatch orders (allowed: %(allowed)s)."),
    "cancel": _("Your role (%(role)s) may not cancel orders (allowed: %(allowed)s)."),
    "reschedule": _("Your role (%(role)s) may not reschedule orders (allowed: %(allowed)s)."),
}
"""Each order action's refusal, a whole sentence for translators."""


def _apply(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    action: str,
    roles: frozenset[Role],
    change: Callable[[Order], None] | None = None,
    payload: Mapping[str, Any] | None = None,
    target: OrderStatus | None = None,
) -> Order:
    """Load, authorize, version-check, transition, change and log one order action."""
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    require_role(actor, roles, to=REFUSALS[action])
    if target is None and already_made(session, actor=actor, order=order, action=action):
        return order
    orders.check_version(order, expected_version)
    with orders.recording(session, actor=actor, order=order, action=action) as logged:
        order.status = target or states.transition(action, order.status)
        if change is not None:
            change(order)
        logged.update(payload or {})
    return order


def already_made(session: Session, *, actor: Actor, order: Order, action: str) -> bool:
    """Whether ``action`` would be refused only because this actor's own last move already made it."""
    move = states.MOVES.get(action)
    if move is None or order.status in move.sources or order.status is not move.target:
        return False
    last = session.scalars(
        select(Event)
        .where(Event.order_id == order.id, Event.entity_type == "order")
        .order_by(Event.id.desc())
    )
    for event in last:
        if event.after and "status" in event.after:
            return (
                event.action == action
                and event.actor_user_id == actor.user_id
                and event.actor_role == actor.role.value
            )
    return False


def _clear_assignment(order: Order) -> None:
    order.engineer_id = None
    order.engineer = None
    order.scheduled_start = None
    order.sequence = None
    order.pinned = False


def _engineer_for(session: Session, order: Order, engineer_id: int) -> Engineer:
    engineer = session.get(Engineer, engineer_id)
    if engineer is None:
        raise Invalid(
            _("engineer %(engineer_id)s does not exist", engineer_id=engineer_id),
            errors={"engineer_id": ["no such engineer"]},
        )
    if not engineer.active:
        raise Invalid(
            _("engineer %(name)s is not active", name=engineer.name), errors={"engineer_id": ["inactive"]}
        )
    missing = sorted({s.code for s in order.skills} - {s.code for s in engineer.skills})
    if missing:
        raise Invalid(
            _(
                "engineer %(name)s lacks the skills this order needs: %(skills)s",
                name=engineer.name,
                skills=", ".join(missing),
            ),
            errors={"engineer_id": [f"missing skill {code!r}" for code in missing]},
        )
    return engineer


def _check_start(order: Order, scheduled_start: datetime | None) -> None:
    if scheduled_start is not None and orders.window_containing(order, scheduled_start) is None:
        raise Invalid(
            "the scheduled start is outside every time window the customer accepted",
            errors={"scheduled_start": ["not inside any of the order's time windows"]},
        )


def _reason(reason: str | None, action: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(_("say why (%(action)s)", action=action), errors={"reason": ["required"]})
    return text


def assign(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    engineer_id: int,
    scheduled_start: datetime | None = None,
    sequence: int | None = None,
    pinned: bool | None = None,
) -> Order:
    """Give the order to an engineer who has the skills, optionally at a start inside a window."""
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not assign orders (allowed: %(allowed)s)."))
    engineer = _engineer_for(session, order, engineer_id)
    _check_start(order, scheduled_start)

    def change(o: Order) -> None:
        o.engineer = engineer
        o.engineer_id = engineer.id
        o.scheduled_start = scheduled_start
        o.sequence = sequence
        if pinned is not None:
            o.pinned = pinned

    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="assign",
        roles=PLANNERS,
        change=change,
    )


def unassign(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    reason: str | None = None,
) -> Order:
    """Take the order off its engineer: it waits for planning again."""
    payload = {"reason": reason} if reason else None
    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="unassign",
        roles=PLANNERS,
        change=_clear_assignment,
        payload=payload,
    )


def transfer(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    reason: str,
    engineer_id: int | None = None,
    team_id: int | None = None,
    scheduled_start: datetime | None = None,
) -> Order:
    """Hand the order to another engineer, or to another team's queue, saying why."""
    if (engineer_id is None) == (team_id is None):
        raise Invalid(
            "transfer to an engineer or to a team",
            errors={"engineer_id": ["give exactly one of engineer_id, team_id"]},
        )
    text = _reason(reason, "transfer")
    order = orders.get_or_raise(session, actor=actor, order_id=order_id)
    require_role(
        actor, PLANNERS, to=_("Your role (%(role)s) may not transfer orders (allowed: %(allowed)s).")
    )
    payload: dict[str, Any] = {
        "reason": text,
        "from_engineer_id": order.engineer_id,
        "from_team_id": order.team_id,
    }
    if engineer_id is not None:
        engineer = _engineer_for(session, order, engineer_id)
        _check_start(order, scheduled_start)

        def to_engineer(o: Order) -> None:
            o.engineer, o.engineer_id = engineer, engineer.id
            if engineer.team is not None:
                o.team = engineer.team
            o.scheduled_start, o.sequence, o.pinned = scheduled_start, None, False

        return _apply(
            session,
            actor=actor,
            order_id=order_id,
            expected_version=expected_version,
            action="transfer",
            roles=PLANNERS,
            change=to_engineer,
            payload=payload | {"to_engineer_id": engineer.id},
        )
    team = session.get(Team, team_id)
    if team is None:
        raise Invalid(
            _("team %(team_id)s does not exist", team_id=team_id), errors={"team_id": ["no such team"]}
        )
    keeps_engineer = order.engineer is not None and order.engineer.team_id == team.id
    if order.status not in states.OPEN:
        states.transition("transfer", order.status)  # raises, naming the states

    def to_team(o: Order) -> None:
        o.team = team
        if not keeps_engineer:
            _clear_assignment(o)

    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="transfer",
        roles=PLANNERS,
        change=to_team,
        payload=payload | {"to_team_id": team.id},
        target=order.status if keeps_engineer else OrderStatus.NEW,
    )


def dispatch(session: Session, *, actor: Actor, order_id: int, expected_version: int | None) -> Order:
    """Send a scheduled order to its engineer's day."""
    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="dispatch",
        roles=PLANNERS,
    )


def field_action(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    action: str,
    reason: str | None = None,
    notes: str | None = None,
    position: visits.Position | None = None,
    attachment_ids: Sequence[str] = (),
    field_rules_on: bool = True,
) -> Order:
    """An engineer's step on their job (accept, decline, travel, check in, complete, incomplete).

    Check-in keeps the phone's position and its distance from the site (flagged when far off);
    an engineer checks in only on the visit's day and while not on site at another job
    (``field_rules_on``; the office may record a check-in for them regardless);
    an engineer's completion is refused until the photos and signature the service type needs
    (and every attachment the request names) have arrived. Planners closing a job from the office
    are not asked for them; the event says what was missing.
    """
    if action not in FIELD_ACTIONS:
        raise Invalid(
            _("unknown action %(action)s", action=repr(action)),
            errors={"action": [f"one of {', '.join(FIELD_ACTIONS)}"]},
        )
    if actor.role in (Role.CUSTOMER, Role.AGENT):
        # Visibility first (a stranger's order is a 404), then the role.
        orders.get_or_raise(session, actor=actor, order_id=order_id)
        raise refusal(actor, PLANNERS | {Role.ENGINEER}, REFUSALS[action])
    payload: dict[str, Any] = {}
    change: Callable[[Order], None] | None = None
    if action in ("decline", "mark_incomplete"):
        payload["reason"] = _reason(reason, action)
        if action == "mark_incomplete":
            payload["follow_up_needed"] = True  # the office books the next visit from this

        def with_reason(o: Order) -> None:
            o.status_reason = payload["reason"]
            if action == "decline":
                _clear_assignment(o)

        change = with_reason
    if notes:
        payload["notes"] = notes
    if action == "check_in":
        order = orders.get_or_raise(session, actor=actor, order_id=order_id)
        if field_rules_on and actor.role is Role.ENGINEER and order.status is OrderStatus.EN_ROUTE:
            field_rules.check_day(order)
            field_rules.check_one_job_on_site(session, order)
        payload.update(visits.check_in_payload(order, position))
    if action == "complete":
        order = orders.get_or_raise(session, actor=actor, order_id=order_id)
        if order.status is OrderStatus.ON_SITE:
            missing = attachments.missing_evidence(session, order, attachment_ids)
            if missing and actor.role is Role.ENGINEER:
                orders.check_version(order, expected_version)
                what = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in missing.items())
                raise Conflict(
                    _("order %(number)s cannot be completed yet (%(what)s)", number=order.number, what=what),
                    errors=missing,
                )
            if missing:
                payload["evidence_waived"] = missing
        if attachment_ids:
            payload["attachment_ids"] = list(attachment_ids)
    current = orders.get_or_raise(session, actor=actor, order_id=order_id)
    if actor.role in PLANNERS | {Role.ENGINEER} and already_made(
        session, actor=actor, order=current, action=action
    ):
        return current  # made before by the same person: nothing changes, nobody is told twice
    order = _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action=action,
        roles=PLANNERS | {Role.ENGINEER},
        change=change,
        payload=payload or None,
    )
    if action == "start_travel":
        notifications.on_the_way(session, order=order)
    elif action == "complete":
        notifications.visit_done(session, order=order)
    return order


def cancel(
    session: Session, *, actor: Actor, order_id: int, expected_version: int | None, reason: str
) -> Order:
    """Cancel an order before the engineer is on site; customers cancel their own."""
    text = _reason(reason, "cancel")

    def change(o: Order) -> None:
        o.status_reason = text

    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="cancel",
        roles=STAFF | {Role.CUSTOMER},
        change=change,
        payload={"reason": text},
    )


def reschedule(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    expected_version: int | None,
    time_windows: Sequence[orders.Window],
    reason: str | None = None,
) -> Order:
    """Replace the order's windows; it leaves its engineer's day and waits for planning again."""
    windows = orders.check_windows(time_windows)

    def change(o: Order) -> None:
        _clear_assignment(o)
        o.time_windows = [OrderTimeWindow(starts_at=w.starts_at, ends_at=w.ends_at) for w in windows]

    return _apply(
        session,
        actor=actor,
        order_id=order_id,
        expected_version=expected_version,
        action="reschedule",
        roles=STAFF | {Role.CUSTOMER},
        change=change,
        payload={"reason": reason} if reason else None,
    )
