"""The order state machine, cell by cell."""

from __future__ import annotations

import pytest

from dispatch import statuses
from dispatch.errors import InvalidTransition
from dispatch.orders import states
from dispatch.orders.models import OrderStatus as S

LEGAL = {
    ("assign", S.NEW): S.SCHEDULED,
    ("assign", S.DECLINED): S.SCHEDULED,
    ("assign", S.SCHEDULED): S.SCHEDULED,
    ("unassign", S.SCHEDULED): S.NEW,
    ("unassign", S.DISPATCHED): S.NEW,
    ("unassign", S.ACCEPTED): S.NEW,
    ("dispatch", S.SCHEDULED): S.DISPATCHED,
    ("accept", S.DISPATCHED): S.ACCEPTED,
    ("decline", S.DISPATCHED): S.DECLINED,
    ("decline", S.ACCEPTED): S.DECLINED,
    ("start_travel", S.ACCEPTED): S.EN_ROUTE,
    ("check_in", S.EN_ROUTE): S.ON_SITE,
    ("complete", S.ON_SITE): S.COMPLETED,
    ("mark_incomplete", S.ON_SITE): S.INCOMPLETE,
    **{
        ("cancel", s): S.CANCELLED
        for s in (S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE, S.DECLINED)
    },
    **{("transfer", s): S.SCHEDULED for s in (S.NEW, S.DECLINED, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED)},
    **{("reschedule", s): S.NEW for s in (S.NEW, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.DECLINED)},
    # Publishing a plan puts open orders on an engineer's day in one step.
    **{("publish", s): S.DISPATCHED for s in (S.NEW, S.DECLINED, S.SCHEDULED, S.DISPATCHED)},
}


@pytest.mark.parametrize("action", sorted(states.MOVES))
@pytest.mark.parametrize("current", list(S))
def test_every_action_from_every_status(action, current):
    expected = LEGAL.get((action, current))
    if expected is not None:
        assert states.transition(action, current) is expected
        assert (action in states.allowed_actions(current)) == (action not in states.PLANNING_ONLY)
    else:
        with pytest.raises(InvalidTransition) as raised:
            states.transition(action, current)
        assert f"an order that is {statuses.word('OrderStatus', current.value)}" in str(raised.value.message)
        assert raised.value.errors == {
            "current_status": current.value,
            "target_status": states.MOVES[action].target.value,
        }
        assert action not in states.allowed_actions(current)


@pytest.mark.parametrize("final", sorted(states.FINAL))
def test_nothing_leaves_a_final_status(final):
    assert states.allowed_actions(final) == []


def test_cancel_is_possible_until_the_engineer_is_on_site():
    assert "cancel" in states.allowed_actions(S.EN_ROUTE)
    assert "cancel" not in states.allowed_actions(S.ON_SITE)
