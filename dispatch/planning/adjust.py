"""Hand adjustments to a ready plan: move (and pin) an order onto an engineer's route.

Every move is checked by the optimizer's insertion query against the plan as it stands; a move
that cannot keep the order's window, the engineer's shift, break and skills is refused with the
engineers who could take it instead. The changed routes are re-timed and rewritten in one go.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

import optimizer
from dispatch.access import Actor
from dispatch.errors import Conflict, Invalid
from dispatch.i18n import _
from dispatch.planning import service
from dispatch.planning.jobs import write_result
from dispatch.planning.models import Plan, PlanStatus
from dispatch.planning.problem import engineer_key, load_day, row_id, teams_for, visit_id
from dispatch.statuses import status_word

MAX_ALTERNATIVES = 5


def move(
    session: Session, *, actor: Actor, plan_id: int, order_id: int, engineer_id: int, pinned: bool = False
) -> Plan:
    """Put ``order_id`` on ``engineer_id``'s route at its cheapest feasible place in the plan."""
    plan = service.get_or_raise(session, actor=actor, plan_id=plan_id)
    if plan.status is not PlanStatus.READY:
        raise Conflict(
            _(
                "plan %(plan)s is %(status)s: only a ready plan can be adjusted",
                plan=plan.id,
                status=status_word(plan.status),
            ),
            errors={"status": plan.status.value},
        )
    day = load_day(
        session,
        day=plan.day,
        time_zone=plan.time_zone,
        team_ids=teams_for(session, team_id=plan.team_id, region=plan.region or None),
    )
    vid, key = visit_id(order_id), engineer_key(engineer_id)
    if vid not in day.orders:
        raise Invalid(
            _("order %(order)s is not one this plan can place", order=order_id),
            errors={"order_id": [_("not an open order of this plan's day and teams")]},
        )
    if key not in day.engineers:
        raise Invalid(
            _(
                "engineer %(engineer)s has no shift on %(day)s in this plan",
                engineer=engineer_id,
                day=plan.day.isoformat(),
            ),
            errors={"engineer_id": [_("no shift that day")]},
        )
    routes = {engineer_key(r.engineer_id): [visit_id(s.order_id) for s in r.stops] for r in plan.routes}
    for seq in routes.values():
        if vid in seq:
            seq.remove(vid)
    current = optimizer.evaluate(day.problem, routes)
    visit = next(v for v in day.problem.visits if v.id == vid)
    if visit.is_fixed:
        raise Conflict(_("order %(order)s is already under way or done: it cannot move", order=order_id))
    target = _best(optimizer.insertion_options(day.problem, current, replace(visit, pinned_engineer=key)))
    if target is None or target.position is None:
        others = [
            {
                "engineer_id": row_id(o.engineer_id),
                "engineer": day.engineers[o.engineer_id].name,
                "starts_at": day.at(o.start).isoformat() if o.start is not None else None,
                "extra_distance_m": o.extra_distance,
            }
            for o in _alternatives(day.problem, current, replace(visit, pinned_engineer=None), key)
            if o.engineer_id is not None
        ]
        raise Conflict(
            _(
                "%(engineer)s cannot take order %(order)s: no place on the route keeps its window, "
                "the shift, the break and the other visits' windows",
                engineer=day.engineers[key].name,
                order=order_id,
            ),
            errors={"alternatives": others},
        )
    routes.setdefault(key, []).insert(target.position, vid)
    result = optimizer.evaluate(day.problem, routes)
    kept = {u.order_id: u for u in plan.unassigned}
    write_result(plan, day, result)
    for left in plan.unassigned:
        earlier = kept.get(left.order_id)
        if earlier is not None:  # keep the optimizer's own reason for what it left out
            left.reason, left.detail, left.detail_note = earlier.reason, earlier.detail, earlier.detail_note
    pins = dict((plan.totals or {}).get("pins", {}))
    if pinned:
        pins[str(order_id)] = engineer_id
    else:
        pins.pop(str(order_id), None)
    plan.totals = {**(plan.totals or {}), "pins": pins, "adjusted": True}
    plan.solver = f"{plan.solver.split(' + ')[0]} + hand moves"
    session.flush()
    return plan


def _best(options: tuple[optimizer.InsertionOption, ...]) -> optimizer.InsertionOption | None:
    feasible = [o for o in options if o.feasible and o.extra_distance is not None]
    return min(feasible, key=lambda o: (o.extra_distance or 0, o.start or 0)) if feasible else None


def _alternatives(
    problem: optimizer.Problem, plan: optimizer.Plan, visit: optimizer.Visit, refused: str
) -> list[optimizer.InsertionOption]:
    found = []
    for e in problem.engineers:
        if e.id == refused:
            continue
        best = _best(optimizer.insertion_options(problem, plan, replace(visit, pinned_engineer=e.id)))
        if best is not None:
            found.append(best)
    found.sort(key=lambda o: o.extra_distance or 0)
    return found[:MAX_ALTERNATIVES]
