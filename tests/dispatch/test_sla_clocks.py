"""SLA and OLA clocks through the ticket services: which policy, when each clock starts, pauses and
stops, rebuilding the rows from the event log, and the warning and breach scan with escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.calendars import service as calendars
from dispatch.customers.models import Customer, CustomerTier
from dispatch.db import make_session_factory
from dispatch.errors import Invalid
from dispatch.events.models import Event
from dispatch.orders.models import Priority
from dispatch.routing import service as routing
from dispatch.routing import transfers
from dispatch.sla import clocks, policies, scan
from dispatch.sla.models import SlaClock
from dispatch.tickets import conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, Ticket, TicketKind, TicketStatus
from tests.desk_factories import build_desk, open_ticket
from tests.sla_factories import HOUR, always_calendar, office_calendar, policy

MONDAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(app, world):
    session = make_session_factory(app.extensions["dispatch.db"].engine)()
    built = build_desk(session, world)
    session.commit()
    yield session, world, built
    session.rollback()
    session.close()


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _clocks(session, ticket_id):
    return {c.key: c for c in clocks.rows_of(session, ticket_id)}


def _status(session, ticket, status, actor=SYSTEM):
    return tickets.change_status(
        session, actor=actor, ticket_id=ticket.id, expected_version=None, status=status
    )


def _say(session, ticket, actor, body="…", kind=MessageKind.PUBLIC_REPLY, **kwargs):
    return conversation.add_message(session, actor=actor, ticket_id=ticket.id, kind=kind, body=body, **kwargs)


def _vip(session, customer_id):
    session.get(Customer, customer_id).tier = CustomerTier.VIP
    session.flush()


def test_the_first_policy_whose_condition_holds_is_chosen_and_the_reason_stored(desk, clock):
    session, world, _d = desk
    cal = always_calendar(session)
    vip = policy(
        session, cal, "VIP", condition={"field": "tier", "in": ["vip", "key_account"]}, first_response_s=900
    )
    standard = policy(session, cal, "Standard")
    _vip(session, world.ids["c1"])
    fast = open_ticket(session, world.ids["c1"])
    slow = open_ticket(session, world.ids["c2"])
    assert fast.sla_policy_id == vip.id
    assert fast.sla_match == {
        "by": "order",
        "policy_id": vip.id,
        "policy": "VIP",
        "position": 1,
        "held": [{"field": "tier", "value": "vip"}],
    }
    assert slow.sla_policy_id == standard.id
    assert _clocks(session, fast.id)["first_response"].due_at == MONDAY + timedelta(minutes=15)
    assert _clocks(session, slow.id)["first_response"].due_at == MONDAY + timedelta(hours=1)
    applied = session.scalars(
        select(Event).where(Event.ticket_id == fast.id, Event.action == "sla.policy_applied")
    ).one()
    assert applied.payload["targets"]["first_response"] == 900
    assert applied.payload["match"]["policy"] == "VIP"


def test_a_policy_without_a_condition_must_be_the_last_one(desk):
    session, _world, _d = desk
    cal = always_calendar(session)
    policy(session, cal, "Standard")
    with pytest.raises(Invalid, match="must be the last one"):
        policy(session, cal, "VIP", condition={"field": "tier", "in": ["vip"]})
    session.rollback()
    cal = always_calendar(session)
    vip = policy(session, cal, "VIP", condition={"field": "tier", "in": ["vip"]})
    standard = policy(session, cal, "Standard")
    with pytest.raises(Invalid, match="must be the last one"):
        policies.reorder(session, actor=SYSTEM, policy_ids=[standard.id, vip.id])


def test_a_rule_or_an_agent_can_name_the_policy_and_the_reason_says_so(desk, clock):
    session, world, _d = desk
    cal = always_calendar(session)
    gold = policy(session, cal, "Gold", condition={"field": "kind", "in": ["complaint"]})
    policy(session, cal, "Standard")
    rule = routing.create_rule(
        session,
        actor=SYSTEM,
        name="Boilers",
        condition={"field": "subject", "words": ["boiler"]},
        actions={"sla_policy_id": gold.id},
    )
    ticket = open_ticket(session, world.ids["c1"], subject="Boiler leaks")
    assert ticket.sla_match["by"] == "rule"
    assert (ticket.sla_policy_id, ticket.sla_match["rule_id"]) == (gold.id, rule.id)
    other = open_ticket(session, world.ids["c1"], subject="Radiator cold")
    tickets.update(
        session,
        actor=world.actors["agent"],
        ticket_id=other.id,
        expected_version=None,
        changes={"sla_policy_id": gold.id},
    )
    assert other.sla_match["by"] == "hand"
    assert _clocks(session, other.id)["resolution"].policy_id == gold.id
    with pytest.raises(Invalid, match="does not exist"):
        tickets.update(
            session,
            actor=world.actors["agent"],
            ticket_id=other.id,
            expected_version=None,
            changes={"sla_policy_id": 999},
        )


def test_raising_the_priority_chooses_again_when_the_policy_came_by_order(desk, clock):
    session, world, _d = desk
    cal = always_calendar(session)
    urgent = policy(
        session, cal, "Urgent", condition={"field": "priority", "in": ["urgent"]}, resolution_s=2 * HOUR
    )
    policy(session, cal, "Standard")
    ticket = open_ticket(session, world.ids["c1"])
    assert _clocks(session, ticket.id)["resolution"].due_at == MONDAY + timedelta(hours=8)
    clock.shift(timedelta(minutes=30))
    tickets.update(
        session,
        actor=world.actors["agent"],
        ticket_id=ticket.id,
        expected_version=None,
        changes={"priority": Priority.URGENT},
    )
    assert ticket.sla_policy_id == urgent.id
    # The new target counts from the ticket's opening, not from the change.
    assert _clocks(session, ticket.id)["resolution"].due_at == MONDAY + timedelta(hours=2)


def test_only_a_public_agent_reply_is_a_first_response(desk, clock):
    session, world, _d = desk
    policy(session, always_calendar(session))
    ticket = open_ticket(session, world.ids["c1"])
    agent = world.actors["agent"]
    clock.shift(timedelta(minutes=10))
    _say(session, ticket, agent, "Check F28", kind=MessageKind.INTERNAL_NOTE)
    _say(session, ticket, SYSTEM, "We got your message", automatic=True)
    _status(session, ticket, TicketStatus.OPEN, actor=agent)
    assert _clocks(session, ticket.id)["first_response"].stopped_at is None
    clock.shift(timedelta(minutes=10))
    _say(session, ticket, agent, "An engineer can come on Tuesday")
    first = _clocks(session, ticket.id)["first_response"]
    assert first.stopped_at == MONDAY + timedelta(minutes=20)
    assert first.breached_at is None


def test_next_response_runs_from_the_oldest_unanswered_customer_message(desk, clock):
    session, world, _d = desk
    policy(session, always_calendar(session))
    ticket = open_ticket(session, world.ids["c1"])
    customer, agent = world.actors["customer"], world.actors["agent"]
    _say(session, ticket, customer, "Also the radiator")  # before any answer: first response covers it
    assert [k for k in _clocks(session, ticket.id) if k.startswith("next")] == []
    clock.shift(timedelta(minutes=5))
    _say(session, ticket, agent, "Noted")
    clock.shift(timedelta(minutes=5))
    asked = _say(session, ticket, customer, "When will you come?")
    clock.shift(timedelta(minutes=5))
    _say(session, ticket, customer, "Hello?")
    waiting = _clocks(session, ticket.id)[f"next_response:{asked.id}"]
    assert (waiting.started_at, waiting.due_at) == (
        MONDAY + timedelta(minutes=10),
        MONDAY + timedelta(hours=2, minutes=10),
    )
    assert len([k for k in _clocks(session, ticket.id) if k.startswith("next")]) == 1
    clock.shift(timedelta(minutes=5))
    _say(session, ticket, agent, "Tomorrow at 10")
    assert _clocks(session, ticket.id)[f"next_response:{asked.id}"].stopped_at == MONDAY + timedelta(
        minutes=20
    )


def test_pending_pauses_every_clock_and_on_hold_only_if_the_policy_says(desk, clock):
    session, world, _d = desk
    cal = always_calendar(session)
    policy(session, cal, "Holds", condition={"field": "kind", "in": ["complaint"]}, pause_on_hold=True)
    policy(session, cal, "Standard")
    agent = world.actors["agent"]
    plain = open_ticket(session, world.ids["c1"])
    held = open_ticket(session, world.ids["c1"], kind=TicketKind.COMPLAINT)
    for ticket in (plain, held):
        _status(session, ticket, TicketStatus.PENDING, actor=agent)
    clock.shift(timedelta(hours=3))
    paused = _clocks(session, plain.id)["resolution"]
    assert (paused.state, paused.due_at, paused.paused_since) == ("paused", None, MONDAY)
    for ticket in (plain, held):
        _status(session, ticket, TicketStatus.ON_HOLD, actor=agent)
    clock.shift(timedelta(hours=1))
    for ticket in (plain, held):
        _status(session, ticket, TicketStatus.OPEN, actor=agent)
    # Pending for 3 h pauses both; on hold for 1 h pauses only the policy that says so.
    assert _clocks(session, plain.id)["resolution"].due_at == MONDAY + timedelta(hours=11)
    assert _clocks(session, plain.id)["resolution"].paused_s == 3 * HOUR
    assert _clocks(session, held.id)["resolution"].due_at == MONDAY + timedelta(hours=12)


def test_resolving_stops_resolution_and_reopening_resumes_it(desk, clock):
    session, world, _d = desk
    policy(session, always_calendar(session))
    ticket = open_ticket(session, world.ids["c1"])
    clock.shift(timedelta(hours=1))
    _status(session, ticket, TicketStatus.RESOLVED)
    resolution = _clocks(session, ticket.id)["resolution"]
    assert (resolution.state, resolution.stopped_at) == ("stopped", MONDAY + timedelta(hours=1))
    assert _clocks(session, ticket.id)["first_response"].state == "stopped"
    clock.shift(timedelta(hours=5))
    _say(session, ticket, world.actors["customer"], "It broke again")  # reopens it
    assert ticket.status is TicketStatus.REOPENED
    resolution = _clocks(session, ticket.id)["resolution"]
    assert resolution.state == "running"
    assert resolution.due_at == MONDAY + timedelta(hours=13)  # the 5 resolved hours did not count
    clock.shift(timedelta(hours=1))
    _status(session, ticket, TicketStatus.RESOLVED)
    _status(session, ticket, TicketStatus.CLOSED)
    assert _clocks(session, ticket.id)["resolution"].stopped_at == MONDAY + timedelta(hours=7)


def test_each_team_has_its_own_clock_while_it_has_the_ticket(desk, clock):
    session, world, d = desk
    cal = always_calendar(session)
    policy(
        session,
        cal,
        ola_targets=[
            {"team_id": d.ids["first"], "target_s": HOUR},
            {"team_id": d.ids["second"], "target_s": 4 * HOUR},
        ],
    )
    ticket = open_ticket(session, world.ids["c1"], team_id=d.ids["first"])
    clock.shift(timedelta(minutes=40))
    transfers.escalate(session, actor=SYSTEM, ticket_id=ticket.id, expected_version=None, reason="gas")
    olas = [c for c in clocks.rows_of(session, ticket.id) if c.kind.value == "ola"]
    assert [(c.team_id, c.started_at, c.stopped_at) for c in olas] == [
        (d.ids["first"], MONDAY, MONDAY + timedelta(minutes=40)),
        (d.ids["second"], MONDAY + timedelta(minutes=40), None),
    ]
    assert olas[1].due_at == MONDAY + timedelta(hours=4, minutes=40)
    assert _clocks(session, ticket.id)["resolution"].state == "running"  # the SLA clock is the ticket's


def test_office_hours_count_and_a_friday_evening_ticket_is_due_on_monday(desk):
    session, world, _d = desk
    policy(session, office_calendar(session))
    friday = datetime(2026, 6, 5, 16, 30, tzinfo=UTC)  # 17:30 in Manchester
    with time_machine.travel(friday, tick=False):
        ticket = open_ticket(session, world.ids["c1"])
    first = _clocks(session, ticket.id)["first_response"]
    assert first.due_at == datetime(2026, 6, 8, 8, 0, tzinfo=UTC)  # Monday 09:00 BST
    view = clocks.view(
        first, calendars.business_calendar(session, first.calendar_id), friday + timedelta(days=1)
    )
    assert (view.business_seconds_left, view.state) == (1800, "running")


def _story(session, world, d, clock):
    """A ticket with a transfer, a pause, a resolution and a reopening, and one breach."""
    cal = always_calendar(session)
    policy(
        session,
        cal,
        ola_targets=[{"team_id": d.ids["second"], "target_s": 2 * HOUR}],
        escalations=[{"on": "warning", "action": "notify_lead"}],
    )
    agent, customer = world.actors["agent"], world.actors["customer"]
    ticket = open_ticket(session, world.ids["c1"], team_id=d.ids["first"])
    clock.shift(timedelta(minutes=30))
    _say(session, ticket, agent, "Which model?")
    _status(session, ticket, TicketStatus.PENDING, actor=agent)
    clock.shift(timedelta(hours=2))
    _say(session, ticket, customer, "Vaillant ecoTEC")
    clock.shift(timedelta(minutes=30))
    transfers.transfer(
        session,
        actor=agent,
        ticket_id=ticket.id,
        expected_version=None,
        team_id=d.ids["second"],
        reason="needs a gas engineer",
    )
    clock.shift(timedelta(minutes=105))
    assert scan.run(session, now=datetime.now(UTC)).warnings == 1  # the second line's OLA at 87 %
    clock.shift(timedelta(minutes=30))
    assert scan.run(session, now=datetime.now(UTC)).breaches == 1
    _say(session, ticket, agent, "Booked for Tuesday")
    _status(session, ticket, TicketStatus.RESOLVED, actor=agent)
    clock.shift(timedelta(hours=1))
    _say(session, ticket, customer, "Still noisy")
    session.flush()
    return ticket


def test_the_rows_rebuilt_from_the_event_log_are_the_rows_kept_live(desk, clock):
    session, world, d = desk
    ticket = _story(session, world, d, clock)
    live = {
        c.key: {
            k: getattr(c, k)
            for k in (
                "kind",
                "team_id",
                "started_at",
                "due_at",
                "warn_at",
                "paused_s",
                "paused_since",
                "stopped_at",
                "breached_at",
                "warned_at",
            )
        }
        for c in clocks.rows_of(session, ticket.id)
    }
    assert len(live) == 5
    assert any(v["warned_at"] for v in live.values())
    assert any(v["breached_at"] for v in live.values())
    assert live["resolution"]["paused_s"] == 3 * HOUR  # pending 2 h, resolved 1 h
    assert clocks.differences(session, ticket.id) == []
    for row in clocks.rows_of(session, ticket.id):
        session.delete(row)
    session.flush()
    clocks.rebuild(session, ticket.id)
    rebuilt = {
        c.key: {k: getattr(c, k) for k in next(iter(live.values()))}
        for c in clocks.rows_of(session, ticket.id)
    }
    assert rebuilt == live


def test_the_scan_warns_once_then_breaches_and_runs_the_escalations(desk, clock):
    session, world, d = desk
    cal = always_calendar(session)
    policy(
        session,
        cal,
        first_response_s=HOUR,
        next_response_s=None,
        resolution_s=None,
        escalations=[
            {"on": "warning", "action": "notify_lead"},
            {"on": "breach", "action": "raise_priority"},
            {"on": "breach", "clock": "first_response", "action": "move_to_team", "team_id": d.ids["second"]},
        ],
    )
    ticket = open_ticket(session, world.ids["c1"], team_id=d.ids["first"])
    owner = ticket.owner_id
    clock.shift(timedelta(minutes=47))
    assert scan.run(session, now=datetime.now(UTC)).total == 0
    clock.shift(timedelta(minutes=1))  # 48 minutes: 80 % of the hour
    assert scan.run(session, now=datetime.now(UTC)).warnings == 1
    assert scan.run(session, now=datetime.now(UTC)).total == 0  # each warning fires once
    warning = session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.action == "sla.warning")
    ).one()
    assert warning.payload["notify"]["to_user_ids"] == (
        session.get(type(ticket.team), d.ids["first"]).lead_ids or [owner]
    )
    assert warning.payload["clock"] == "first_response"
    from dispatch.notifications.models import Notification

    def told(event: str) -> set[int | None]:
        rows = session.scalars(
            select(Notification).where(Notification.ticket_id == ticket.id, Notification.event == event)
        )
        return {row.user_id for row in rows}

    leads = set(warning.payload["notify"]["to_user_ids"])
    agent = ticket.assignee_id or owner
    assert leads
    assert told("sla.warning") == leads | ({agent} if agent else set())  # the agent and the leads
    clock.shift(timedelta(minutes=12))
    assert scan.run(session, now=datetime.now(UTC)).breaches == 1
    assert told("sla.breached") == set()  # the policy escalates breaches by priority and team only
    session.refresh(ticket)
    assert (ticket.priority.value, ticket.team_id) == ("high", d.ids["second"])
    first = _clocks(session, ticket.id)["first_response"]
    assert (first.breached_at, first.warned_at) == (
        MONDAY + timedelta(hours=1),
        MONDAY + timedelta(minutes=48),
    )
    assert scan.run(session, now=datetime.now(UTC)).total == 0
    assert clocks.differences(session, ticket.id) == []


def test_a_holiday_added_to_the_calendar_moves_open_clocks(app, desk):
    session, world, _d = desk
    from dispatch.sla import jobs, recompute
    from dispatch.tasks.runtime import bound

    cal = office_calendar(session)
    policy(session, cal, first_response_s=None, next_response_s=None, resolution_s=9 * HOUR)
    friday = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(friday, tick=False):
        ticket = open_ticket(session, world.ids["c1"])
    assert _clocks(session, ticket.id)["resolution"].due_at == datetime(
        2026, 6, 8, 9, 30, tzinfo=UTC
    )  # Monday 10:30 BST
    calendars.set_day(
        session,
        actor=SYSTEM,
        calendar_id=cal,
        expected_version=None,
        day=datetime(2026, 6, 8).date(),
        intervals=[],
        name="Closed",
    )
    assert recompute.take(session) == {cal}
    session.commit()
    with bound(app.extensions["dispatch.db"].engine):
        assert jobs.recompute_calendar(cal) == 1
    session.expire_all()
    assert _clocks(session, ticket.id)["resolution"].due_at == datetime(2026, 6, 9, 9, 30, tzinfo=UTC)


def test_without_policies_tickets_are_left_alone(desk):
    session, world, _d = desk
    ticket = open_ticket(session, world.ids["c1"])
    assert ticket.sla_match is None
    actions = session.scalars(select(Event.action).where(Event.ticket_id == ticket.id)).all()
    assert not [a for a in actions if a.startswith("sla.")]
    assert session.scalars(select(SlaClock)).all() == []
    assert session.scalar(select(Ticket.sla_policy_id).where(Ticket.id == ticket.id)) is None


def test_the_rebuild_command_finds_a_row_that_drifted_from_the_log_and_mends_it(desk, clock, database_url):
    from click.testing import CliRunner

    from dispatch.cli import main
    from tests.conftest import TEST_SECRET

    session, world, _d = desk
    policy(session, always_calendar(session))
    ticket = open_ticket(session, world.ids["c1"])
    _clocks(session, ticket.id)["resolution"].due_at = MONDAY + timedelta(days=30)  # a cache gone wrong
    session.commit()
    env = {"DISPATCH_ENV": "test", "DISPATCH_DATABASE_URL": database_url, "DISPATCH_SECRET_KEY": TEST_SECRET}
    checked = CliRunner().invoke(main, ["sla", "rebuild", "--check"], env=env)
    assert checked.exit_code == 1
    assert f"ticket {ticket.id}: resolution.due_at" in checked.output
    mended = CliRunner().invoke(main, ["sla", "rebuild"], env=env)
    assert mended.exit_code == 0, mended.output
    assert CliRunner().invoke(main, ["sla", "rebuild", "--check"], env=env).exit_code == 0
    session.expire_all()
    assert _clocks(session, ticket.id)["resolution"].due_at == MONDAY + timedelta(hours=8)
