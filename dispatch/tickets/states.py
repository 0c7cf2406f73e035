"""The ticket state machine: every status change of a ticket goes through :func:`transition`.

``new -> open -> pending (waiting on the customer) -> open ... -> resolved -> closed``, with
``on_hold`` (waiting on a third party) and ``reopened`` (a customer reply or an agent, while the
ticket is resolved). A resolved ticket closes itself after the configured time; ``closed`` is final.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch import statuses
from dispatch.errors import Conflict, InvalidTransition
from dispatch.i18n import _
from dispatch.tickets.models import TicketStatus as S


@dataclass(frozen=True)
class Move:
    """An action that moves a ticket from one of ``sources`` to ``target``."""

    sources: frozenset[S]
    target: S


def _move(target: S, *sources: S) -> Move:
    return Move(frozenset(sources), target)


WORKING = frozenset({S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.REOPENED})
"""Tickets someone still has to work on: they count against the assignee's capacity."""

WAITING = frozenset({S.PENDING, S.ON_HOLD})
"""Tickets waiting on the customer or on a third party."""

DONE = frozenset({S.RESOLVED, S.CLOSED})
"""Tickets whose work is over (a resolved one may still be reopened)."""

MOVES: dict[str, Move] = {
    "open": _move(S.OPEN, S.NEW, S.PENDING, S.ON_HOLD, S.REOPENED),
    "pend": _move(S.PENDING, S.NEW, S.OPEN, S.ON_HOLD, S.REOPENED),
    "hold": _move(S.ON_HOLD, S.NEW, S.OPEN, S.PENDING, S.REOPENED),
    "resolve": _move(S.RESOLVED, S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.REOPENED),
    "reopen": _move(S.REOPENED, S.RESOLVED),
    "close": _move(S.CLOSED, S.RESOLVED),
    "merge": _move(S.CLOSED, S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.REOPENED, S.RESOLVED),
}
"""Keyed by action name; the target is where the action leads."""

ACTION_FOR_TARGET: dict[S, str] = {
    S.OPEN: "open",
    S.PENDING: "pend",
    S.ON_HOLD: "hold",
    S.RESOLVED: "resolve",
    S.REOPENED: "reopen",
    S.CLOSED: "close",
}
"""The action an agent asks for by naming the status they want (merge closes through its own call)."""

INTERNAL = frozenset({"merge"})
"""Moves made by other operations, never offered as a status of their own."""


class InvalidTicketTransition(InvalidTransition):
    """A ticket status change the state machine does not allow (HTTP 409), naming both states."""

    def __init__(self, current: str, target: str, allowed_from: tuple[str, ...]) -> None:
        Conflict.__init__(
            self,
            _(
                "a ticket that is %(current)s cannot become %(target)s: "
                "only a ticket that is %(allowed)s can",
                current=statuses.word("TicketStatus", current),
                target=statuses.word("TicketStatus", target),
                allowed=statuses.words("TicketStatus", allowed_from),
            ),
            errors={"current_status": current, "target_status": target},
        )
        self.current = current
        self.target = target


def transition(action: str, current: S) -> S:
    """Return the status ``action`` leads to from ``current``, or raise :class:`InvalidTicketTransition`."""
    move = MOVES[action]
    if current not in move.sources:
        order = [s.value for s in S if s in move.sources]
        raise InvalidTicketTransition(current.value, move.target.value, tuple(order))
    return move.target


def allowed_statuses(current: S) -> list[str]:
    """The statuses an agent may move the ticket to from ``current`` (the desk shows these as buttons)."""
    return [
        target.value
        for target, action in ACTION_FOR_TARGET.items()
        if current in MOVES[action].sources and action not in INTERNAL
    ]
