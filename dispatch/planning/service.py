"""Plans: ask for one, follow it, cancel it, publish it as the engineers' day.

A plan is computed by a queued job (:mod:`dispatch.planning.jobs`); this module holds what the
API and the job share: the rules for asking, reading, cancelling and publishing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from dispatch.access import PLANNERS, Actor, require_role
from dispatch.booking.routes import lock_day
from dispatch.db import utcnow
from dispatch.engineers.models import Team
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.notifications import visits as notifications
from dispatch.orders import actions, states
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus, OrderTimeWindow
from dispatch.planning.models import ACTIVE, Plan, PlanKind, PlanStatus, PlanStop
from dispatch.planning.problem import PLANNABLE, UNDER_WAY, day_origin, teams_for
from dispatch.statuses import status_word

MIN_TIME_LIMIT_S = 1
MAX_TIME_LIMIT_S = 600
RETIME_TOLERANCE_S = 300
"""A stop whose start moved less than this is "unchanged" in a re-plan's difference."""
QUEUED_AFTER_S = 600
"""Default of ``DISPATCH_PLAN_QUEUED_TIMEOUT_S``: a plan no worker took by then is reported failed."""


def request(
    session: Session,
    *,
    actor: Actor,
    day: date,
    default_time_zone: str,
    team_id: int | None = None,
    region: str | None = None,
    time_limit_s: int = 30,
    kind: PlanKind = PlanKind.FULL,
    stale_after_s: int = 60,
    queued_after_s: int = QUEUED_AFTER_S,
) -> Plan:
    """Record a plan to compute (the caller enqueues the job after committing)."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not plan days (allowed: %(allowed)s)."))
    if not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise Invalid(
            _(
                "time_limit_s must be between %(least)s and %(most)s seconds",
                least=MIN_TIME_LIMIT_S,
                most=MAX_TIME_LIMIT_S,
            ),
            errors={"time_limit_s": [f"{MIN_TIME_LIMIT_S}..{MAX_TIME_LIMIT_S}"]},
        )
    if team_id is not None and region:
        raise Invalid("plan a team or a region, not both", errors={"region": ["give team_id or region"]})
    time_zone = default_time_zone
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None:
            raise Invalid(
                _("team %(team_id)s does not exist", team_id=team_id), errors={"team_id": ["no such team"]}
            )
        time_zone = team.time_zone
    elif region:
        zones = set(session.scalars(select(Team.time_zone).where(Team.region == region)))
        if not zones:
            raise Invalid(
                _("no team covers region %(region)s", region=repr(region)),
                errors={"region": ["no team has this region"]},
            )
        time_zone = sorted(zones)[0]
    reap_stale(session, stale_after_s=stale_after_s, queued_after_s=queued_after_s)
    running = session.scalar(
        select(Plan).where(
            Plan.day == day,
            Plan.team_id.is_(None) if team_id is None else Plan.team_id == team_id,
            Plan.region == (region or ""),
            Plan.status.in_(ACTIVE),
        )
    )
    if running is not None:
        raise Conflict(
            _(
                "plan %(id)s for %(day)s is already %(status)s: wait for it or cancel it first",
                id=running.id,
                day=day.isoformat(),
                status=status_word(running.status),
            ),
            errors={"plan_id": running.id},
        )
    plan = Plan(
        day=day,
        team_id=team_id,
        region=region or "",
        time_zone=time_zone,
        kind=kind,
        time_limit_s=time_limit_s,
        requested_by=actor.user_id,
    )
    session.add(plan)
    session.flush()
    return plan


def get_or_raise(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    stale_after_s: int = 60,
    queued_after_s: int = QUEUED_AFTER_S,
) -> Plan:
    """One plan (dispatchers and admins), with a worker that died (or never came) reported as such."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not read plans (allowed: %(allowed)s)."))
    reap_stale(session, stale_after_s=stale_after_s, queued_after_s=queued_after_s, plan_id=plan_id)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(_("plan %(plan_id)s does not exist", plan_id=plan_id))
    return plan


PLAN_SORT = Sort({"id": Plan.id, "day": Plan.day, "created_at": Plan.created_at}, default="-id")


def list_plans(
    session: Session,
    *,
    actor: Actor,
    day: date | None = None,
    status: PlanStatus | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
    stale_after_s: int = 60,
    queued_after_s: int = QUEUED_AFTER_S,
) -> Page[Plan]:
    """Plans, newest first, filtered by day and status."""
    require_role(actor, PLANNERS, to=_("Your role (%(role)s) may not read plans (allowed: %(allowed)s)."))
    reap_stale(session, stale_after_s=stale_after_s, queued_after_s=queued_after_s)
    stmt = select(Plan)
    if day is not None:
        stmt = stmt.where(Plan.day == day)
    if status is not None:
        stmt = stmt.where(Plan.status == status)
    return paginate(session, PLAN_SORT.apply(stmt, sort), page=page, page_size=page_size)


def reap_stale(
    session: Session,
    *,
    stale_after_s: int,
    queued_after_s: int = QUEUED_AFTER_S,
    plan_id: int | None = None,
) -> int:
    """Report as failed the running plans whose worker stopped sending heartbeats, and the queued
    plans no worker has taken within ``queued_after_s`` (the queue lost them, or no worker runs);
    returns how many. A worker that takes such a plan later leaves it alone."""
    now = utcnow()
    stmt = select(Plan).where(
        or_(
            and_(
                Plan.status == PlanStatus.RUNNING, Plan.heartbeat_at < now - timedelta(seconds=stale_after_s)
            ),
            and_(Plan.status == PlanStatus.QUEUED, Plan.created_at < now - timedelta(seconds=queued_after_s)),
        )
    )
    if plan_id is not None:
        stmt = stmt.where(Plan.id == plan_id)
    reaped = 0
    for plan in session.scalars(stmt):
        if plan.status is PlanStatus.QUEUED:
            message = (
                f"no worker took this plan within {queued_after_s} s of asking (is the job queue up, "
                "and a `dispatch worker` running?); nothing was written: ask for the plan again"
            )
        else:
            heard = plan.heartbeat_at.isoformat(timespec="seconds") if plan.heartbeat_at else "never"
            message = (
                f"the worker computing this plan stopped (last heard from at {heard}); "
                "nothing was written: ask for the plan again"
            )
        fail(session, plan=plan, message=message)
        reaped += 1
    return reaped


def fail(session: Session, *, plan: Plan, message: str) -> Plan:
    """Mark a queued or running plan failed with the reason (nothing of it was written)."""
    plan.status = PlanStatus.FAILED
    plan.finished_at = utcnow()
    plan.message = message[:2000]
    session.flush()
    return plan


def cancel(session: Session, *, actor: Actor, plan_id: int) -> Plan:
    """Stop a queued or running plan, or discard a ready one; a published plan stays."""
    plan = get_or_raise(session, actor=actor, plan_id=plan_id)
    if plan.status is PlanStatus.PUBLISHED:
        raise Conflict(_("plan %(id)s is published: re-plan the day instead of cancelling it", id=plan.id))
    if plan.status in (PlanStatus.FAILED, PlanStatus.CANCELLED):
        return plan
    plan.status = PlanStatus.CANCELLED
    plan.finished_at = plan.finished_at or utcnow()
    plan.message = f"cancelled by {actor.label()}"
    session.flush()
    return plan


@dataclass(frozen=True)
class ChangedOrder:
    """An order that changed after the plan read it."""

    order_id: int
    number: str
    status: str
    planned_version: int
    current_version: int | None


def changed_orders(session: Session, plan: Plan) -> list[ChangedOrder]:
    """Orders the plan was computed from that have changed (or gone) since, and orders put on an
    engineer's day since (a booking) that it never saw (``planned_version`` 0)."""
    basis: dict[str, int] = (plan.basis or {}).get("versions", {})
    ids = [int(k) for k in basis]
    current = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(ids)))} if ids else {}
    out = []
    if plan.computed_at is not None:
        origin = day_origin(plan.day, plan.time_zone)
        team_ids = teams_for(session, team_id=plan.team_id, region=plan.region or None)
        unseen = select(Order).where(
            Order.id.in_(
                select(OrderTimeWindow.order_id).where(
                    OrderTimeWindow.starts_at >= origin,
                    OrderTimeWindow.starts_at < origin + timedelta(days=1),
                )
            ),
            Order.updated_at > plan.computed_at,
            Order.status.not_in([OrderStatus.CANCELLED]),
            Order.engineer_id.is_not(None),  # on someone's day: publishing could overlap it
            Order.id.not_in(ids) if ids else true(),
        )
        if team_ids is not None:
            unseen = unseen.where(Order.team_id.in_(team_ids) | Order.team_id.is_(None))
        for fresh in session.scalars(unseen.order_by(Order.id)):
            out.append(ChangedOrder(fresh.id, fresh.number, fresh.status.value, 0, fresh.version))
    for key, version in sorted(basis.items(), key=lambda kv: int(kv[0])):
        order = current.get(int(key))
        if order is None or order.version != version:
            out.append(
                ChangedOrder(
                    order_id=int(key),
                    number=order.number if order else "",
                    status=order.status.value if order else "gone",
                    planned_version=version,
                    current_version=order.version if order else None,
                )
            )
    return out


def publish(
    session: Session, *, actor: Actor, plan_id: int, eta_margin_s: int = notifications.ETA_MARGIN_S
) -> Plan:
    """Make the plan's routes the engineers' day; refuse (409) if any of its orders changed since.

    Customers whose expected arrival moves by more than ``eta_margin_s`` are told the new time.
    """
    plan = get_or_raise(session, actor=actor, plan_id=plan_id)
    if plan.status is not PlanStatus.READY:
        raise Conflict(
            _(
                "plan %(id)s is %(status)s: only a ready plan can be published",
                id=plan.id,
                status=status_word(plan.status),
            ),
            errors={"status": plan.status.value},
        )
    # Bookings place orders on routes under the day's lock: hold it so none lands while publishing.
    lock_day(session, plan.day)
    changed = changed_orders(session, plan)
    if changed:
        raise Conflict(
            _(
                "%(count)s order(s) changed after plan %(id)s was computed: "
                "nothing was published; re-plan to include the changes",
                count=len(changed),
                id=plan.id,
            ),
            errors={"changed_orders": [c.__dict__ for c in changed]},
        )
    for route in plan.routes:
        for stop in route.stops:
            order = stop.order
            if stop.fixed or order.status not in PLANNABLE | UNDER_WAY:
                continue
            previous = order.scheduled_start
            _publish_stop(
                session, actor=actor, plan=plan, order=order, stop=stop, engineer_id=route.engineer_id
            )
            notifications.eta_moved(session, order=order, previous=previous, margin_s=eta_margin_s)
    for left in plan.unassigned:
        order = left.order
        if order.status in {OrderStatus.SCHEDULED, OrderStatus.DISPATCHED} and not order.pinned:
            actions.unassign(
                session,
                actor=actor,
                order_id=order.id,
                expected_version=None,
                reason=f"plan {plan.id} leaves it out ({left.reason}): {left.detail}",
            )
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = utcnow()
    plan.published_by = actor.user_id
    session.flush()
    return plan


def _publish_stop(
    session: Session, *, actor: Actor, plan: Plan, order: Order, stop: PlanStop, engineer_id: int
) -> None:
    with orders.recording(session, actor=actor, order=order, action="publish") as logged:
        if order.status in PLANNABLE:
            order.status = states.transition("publish", order.status)
            order.engineer_id = engineer_id
        order.scheduled_start = stop.starts_at
        order.sequence = stop.sequence
        if str(order.id) in (plan.totals or {}).get("pins", {}):
            order.pinned = True
        logged["plan_id"] = plan.id
    session.expire(order, ["engineer"])


def changes(plan: Plan) -> dict[str, Any]:
    """What publishing this plan would change against the day it started from."""
    moved: list[dict[str, Any]] = []
    counts = {"new": 0, "reassigned": 0, "retimed": 0, "unchanged": 0, "dropped": 0}
    for route in plan.routes:
        for stop in route.stops:
            kind = stop_change(stop, route.engineer_id)
            counts[kind] += 1
            if kind in ("reassigned", "retimed"):
                moved.append(
                    {
                        "order_id": stop.order_id,
                        "change": kind,
                        "from_engineer_id": stop.previous_engineer_id,
                        "to_engineer_id": route.engineer_id,
                        "from_start": _iso(stop.previous_start),
                        "to_start": _iso(stop.starts_at),
                    }
                )
    for left in plan.unassigned:
        if left.previous_engineer_id is not None:
            counts["dropped"] += 1
            moved.append(
                {
                    "order_id": left.order_id,
                    "change": "dropped",
                    "from_engineer_id": left.previous_engineer_id,
                    "to_engineer_id": None,
                    "from_start": None,
                    "to_start": None,
                }
            )
    return {"counts": counts, "moved": moved}


def stop_change(stop: PlanStop, engineer_id: int) -> str:
    """new, reassigned, retimed or unchanged, against where the published day had the stop."""
    if stop.previous_engineer_id is None:
        return "new"
    if stop.previous_engineer_id != engineer_id:
        return "reassigned"
    if stop.previous_start is not None and _apart(stop.previous_start, stop.starts_at) > RETIME_TOLERANCE_S:
        return "retimed"
    return "unchanged"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _apart(a: datetime, b: datetime) -> float:
    return abs((a - b).total_seconds())
