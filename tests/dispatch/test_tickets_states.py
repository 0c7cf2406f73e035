"""The ticket state machine: every allowed move, and a refusal that names both states."""

from __future__ import annotations

import pytest

from dispatch import i18n, statuses
from dispatch.tickets import states
from dispatch.tickets.models import TicketStatus as S


def test_a_ticket_goes_from_new_through_pending_to_resolved_and_closed():
    status = S.NEW
    for action, expected in (
        ("open", S.OPEN),
        ("pend", S.PENDING),
        ("open", S.OPEN),
        ("hold", S.ON_HOLD),
        ("resolve", S.RESOLVED),
        ("reopen", S.REOPENED),
        ("resolve", S.RESOLVED),
        ("close", S.CLOSED),
    ):
        status = states.transition(action, status)
        assert status is expected


@pytest.mark.parametrize(
    ("action", "current"),
    [("close", S.OPEN), ("reopen", S.OPEN), ("open", S.CLOSED), ("resolve", S.CLOSED), ("pend", S.RESOLVED)],
)
def test_an_illegal_move_is_a_conflict_naming_both_states(action, current):
    with pytest.raises(states.InvalidTicketTransition) as caught:
        states.transition(action, current)
    error = caught.value
    assert error.status == 409
    target = states.MOVES[action].target.value
    assert error.errors == {"current_status": current.value, "target_status": target}
    with i18n.use_locale("en"):
        shown = str(error.message)
    assert f"a ticket that is {statuses.word('TicketStatus', current.value)} " in shown
    assert f"cannot become {statuses.word('TicketStatus', target)}" in shown
    with i18n.use_locale("zh_Hans"):
        shown = str(error.message)
        assert str(statuses.word("TicketStatus", current.value)) in shown  # the status in words
        assert str(statuses.word("TicketStatus", target)) in shown
    assert current.value not in shown  # not its code


def test_closed_is_final_and_the_desk_is_offered_only_legal_statuses():
    assert states.allowed_statuses(S.CLOSED) == []
    assert states.allowed_statuses(S.RESOLVED) == ["reopened", "closed"]
    assert "resolved" in states.allowed_statuses(S.PENDING)
    assert "new" not in {s for st in S for s in states.allowed_statuses(st)}
