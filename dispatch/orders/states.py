"""The order state machine: every status change in the system goes through :func:`transition`.

``new -> scheduled -> dispatched -> accepted -> en_route -> on_site -> completed``, with the side
exits ``declined`` (the engineer gave it back: unassigned again), ``cancelled`` (any state before
``on_site``) and ``incomplete`` (on site but not finished: needs a follow-up visit).
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.errors import InvalidTransition
from dispatch.orders.models import OrderStatus as S


@dataclass(frozen=True)
class Move:
    """An action that moves an order from one of ``sources`` to ``target``."""

    sources: frozenset[S]
    target: S


def _move(target: S, *sources: S) -> Move:
    return Move(frozenset(sources), target)


UNASSIGNED = frozenset({S.NEW, S.DECLINED})
"""Orders waiting for an engineer: what planning picks up."""

OPEN = frozenset({S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.DECLINED})
"""Orders whose plan can still change without anyone having set off."""

FINAL = frozenset({S.COMPLETED, S.CANCELLED, S.INCOMPLETE})
"""Orders whose life is over."""

# Keyed by action name; the target is where the action leads.
MOVES: dict[str, Move] = {
    "assign": _move(S.SCHEDULED, S.NEW, S.DECLINED, S.SCHEDULED),
    "unassign": _move(S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED),
    "dispatch": _move(S.DISPATCHED, S.SCHEDULED),
    "publish": _move(S.DISPATCHED, S.NEW, S.DECLINED, S.SCHEDULED, S.DISPATCHED),
    "accept": _move(S.ACCEPTED, S.DISPATCHED),
    "decline": _move(S.DECLINED, S.DISPATCHED, S.ACCEPTED),
    "start_travel": _move(S.EN_ROUTE, S.ACCEPTED),
    "check_in": _move(S.ON_SITE, S.EN_ROUTE),
    "complete": _move(S.COMPLETED, S.ON_SITE),
    "mark_incomplete": _move(S.INCOMPLETE, S.ON_SITE),
    "cancel": _move(S.CANCELLED, S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE, S.DECLINED),
    "transfer": _move(S.SCHEDULED, S.NEW, S.DECLINED, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED),
    "reschedule": _move(S.NEW, S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.DECLINED),
}


def transition(action: str, current: S) -> S:
    """Return the status ``action`` leads to from ``current``, or raise :class:`InvalidTransition`."""
    move = MOVES[action]
    if current not in move.sources:
        order = [s for s in S if s in move.sources]
        raise InvalidTransition(action, current.value, move.target.value, tuple(s.value for s in order))
    return move.target


PLANNING_ONLY = frozenset({"publish"})
"""Moves made by publishing a plan, never offered as an order's own action."""


def allowed_actions(current: S) -> list[str]:
    """The actions that are legal from ``current`` (the UI shows these as buttons)."""
    return [name for name, move in MOVES.items() if current in move.sources and name not in PLANNING_ONLY]
