"""Assignment inside a team: round-robin fairness, least-loaded, skills, presence, hours and capacity,
re-run when capacity frees up or an agent comes on shift, and many workers at once never giving a
ticket twice or overfilling."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from dispatch.access import SYSTEM
from dispatch.db import make_session_factory
from dispatch.events.models import Event
from dispatch.orders.models import Priority
from dispatch.routing import assign, hours, wake
from dispatch.routing import service as routing
from dispatch.routing.models import AssignmentStrategy, DeskAgent, DeskTeam
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketStatus
from tests.desk_factories import agent, build_desk, open_ticket
from tests.factories import TZ


@pytest.fixture
def desk(app, world):
    # Sessions without the app's after-commit hook: these tests run assignment themselves.
    sessions = make_session_factory(app.extensions["dispatch.db"].engine)
    session = sessions()
    built = build_desk(session, world)
    session.commit()
    yield session, world, built, sessions
    session.rollback()
    session.close()


def _open(session, world, team_id, n, **kwargs):
    ids = [open_ticket(session, world.ids["c1"], team_id=team_id, **kwargs).id for _ in range(n)]
    session.commit()
    return ids


def _assignees(session, ids):
    session.expire_all()
    return [session.get(Ticket, i).assignee_id for i in ids]


def test_round_robin_gives_each_agent_their_turn_and_keeps_the_pointer(desk):
    session, world, d, sessions = desk
    ids = _open(session, world, d.ids["first"], 12)
    outcomes = assign.assign_waiting(sessions, d.ids["first"])
    assert [o.reason for o in outcomes] == ["assigned"] * 12
    got = _assignees(session, ids)
    members = sorted([d.ids["a1"], d.ids["a2"], d.ids["a3"], world.ids["user_agent"]])
    assert got == members * 3  # in turn, in order, three rounds
    assert session.get(DeskTeam, d.ids["first"]).last_assigned_user_id == members[-1]
    more = _open(session, world, d.ids["first"], 1)
    assign.assign_waiting(sessions, d.ids["first"])
    assert _assignees(session, more) == [members[0]]  # the pointer carried on from where it was


def test_least_loaded_weighs_open_tickets_by_priority(desk):
    session, world, d, sessions = desk
    lead, expert = d.ids["lead"], d.ids["expert"]
    urgent = open_ticket(session, world.ids["c1"], team_id=d.ids["second"], priority=Priority.URGENT)
    tickets.assign(session, actor=SYSTEM, ticket_id=urgent.id, expected_version=None, assignee_id=lead)
    for _ in range(2):
        t = open_ticket(session, world.ids["c1"], team_id=d.ids["second"], priority=Priority.LOW)
        tickets.assign(session, actor=SYSTEM, ticket_id=t.id, expected_version=None, assignee_id=expert)
    session.commit()
    # lead carries 4 (one urgent), expert 2 (two low): the next normal ticket goes to expert, and so on.
    ids = _open(session, world, d.ids["second"], 3)
    assign.assign_waiting(sessions, d.ids["second"])
    assert _assignees(session, ids) == [expert, lead, expert]


def test_by_skill_only_agents_with_the_categorys_skills_get_it(desk):
    session, world, d, sessions = desk
    team = session.get(DeskTeam, d.ids["first"])
    team.strategy = AssignmentStrategy.SKILLS
    gas = agent(session, "gas@desk.example.com", skills=["gas", "chinese"])
    routing.set_member(
        session, actor=SYSTEM, team_id=team.id, user_id=gas, is_lead=False, default_time_zone=TZ
    )
    session.commit()
    boiler = _open(session, world, team.id, 2, category_id=d.ids["boiler"])
    anything = _open(session, world, team.id, 1)
    assign.assign_waiting(sessions, team.id)
    assert _assignees(session, boiler) == [gas, gas]
    assert _assignees(session, anything)[0] not in (None, gas)  # least loaded of the rest
    # Nobody with the skill left: the ticket waits, the others still get theirs.
    session.get(DeskAgent, gas).away = True
    session.commit()
    waiting = _open(session, world, team.id, 1, category_id=d.ids["boiler"])
    plain = _open(session, world, team.id, 1)
    outcomes = assign.assign_waiting(sessions, team.id)
    assert {o.reason for o in outcomes} == {"no agent with the skills", "assigned"}
    assert _assignees(session, waiting) == [None]
    assert _assignees(session, plain)[0] is not None


def test_only_agents_on_shift_not_away_and_under_capacity_get_tickets(desk):
    session, world, d, sessions = desk
    a1, a2, a3, me = d.ids["a1"], d.ids["a2"], d.ids["a3"], world.ids["user_agent"]
    session.get(DeskAgent, a1).away = True
    session.get(DeskAgent, a2).capacity = 1
    session.get(DeskAgent, a3).working_hours = hours.validate({"sat": [["09:00", "12:00"]]})
    session.get(DeskAgent, me).working_hours = None
    session.commit()
    monday_noon = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    ids = _open(session, world, d.ids["first"], 4)
    outcomes = assign.assign_waiting(sessions, d.ids["first"], now=monday_noon)
    got = _assignees(session, ids)
    assert Counter(got) == Counter({me: 3, a2: 1})  # a2 full after one; a1 away; a3 off on Mondays
    assert outcomes[-1].user_id == me
    saturday = datetime(2030, 1, 12, 10, 0, tzinfo=UTC)
    assert hours.on_shift(session.get(DeskAgent, a3).working_hours, TZ, saturday)


def test_freed_capacity_assigns_what_waited(desk):
    session, world, d, sessions = desk
    for name in ("a1", "a2", "a3"):
        session.get(DeskAgent, d.ids[name]).away = True
    session.get(DeskAgent, world.ids["user_agent"]).capacity = 1
    session.commit()
    first, second = _open(session, world, d.ids["first"], 2)
    assign.assign_waiting(sessions, d.ids["first"])
    assert _assignees(session, [first, second]) == [world.ids["user_agent"], None]
    wake.take(session)
    tickets.change_status(
        session, actor=SYSTEM, ticket_id=first, expected_version=None, status=TicketStatus.RESOLVED
    )
    assert wake.take(session) == {d.ids["first"]}  # resolving asks for assignment once committed
    session.commit()
    assign.assign_waiting(sessions, d.ids["first"])
    assert _assignees(session, [second]) == [world.ids["user_agent"]]
    routing.update_agent(session, actor=SYSTEM, user_id=d.ids["a1"], changes={"capacity": 20})
    assert wake.take(session) == {d.ids["first"]}  # so does more room


def test_many_workers_at_once_never_assign_twice_nor_overfill(desk, engine):
    """200 tickets in two teams that share 10 agents of capacity 15, taken by 6 workers at once."""
    session, world, _d, sessions = desk
    blue = routing.create_team(
        session, actor=SYSTEM, code="blue", name="Blue", strategy=AssignmentStrategy.LEAST_LOADED
    )
    green = routing.create_team(session, actor=SYSTEM, code="green", name="Green")
    people = [agent(session, f"p{i}@desk.example.com", capacity=15) for i in range(10)]
    for uid in people:
        for team in (blue, green):
            routing.set_member(
                session, actor=SYSTEM, team_id=team.id, user_id=uid, is_lead=False, default_time_zone=TZ
            )
    session.commit()
    ids = _open(session, world, blue.id, 100) + _open(session, world, green.id, 100)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def work(team_id: int) -> None:
        try:
            barrier.wait()
            assign.assign_waiting(sessions, team_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in (blue.id, green.id) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    got = _assignees(session, ids)
    per_agent = Counter(a for a in got if a is not None)
    assert sum(per_agent.values()) == 150
    assert max(per_agent.values()) == 15
    assert set(per_agent) == set(people)
    twice = session.execute(
        select(Event.ticket_id, func.count())
        .where(Event.action == "assigned", Event.ticket_id.in_(ids))
        .group_by(Event.ticket_id)
        .having(func.count() > 1)
    ).all()
    assert twice == []
    assert engine.dialect.name in ("sqlite", "postgresql")


def test_the_periodic_run_gives_waiting_tickets_to_agents_as_they_come_on_shift(app, desk):
    import time_machine

    from dispatch.routing import jobs
    from dispatch.tasks.runtime import bound

    session, world, d, _sessions = desk
    nine_to_five = hours.validate({"mon": [["09:00", "17:00"]]})
    for uid in (d.ids["a1"], d.ids["a2"], d.ids["a3"], world.ids["user_agent"]):
        session.get(DeskAgent, uid).working_hours = nine_to_five
    session.commit()
    early = datetime(2030, 1, 7, 8, 30, tzinfo=UTC)  # Monday, half an hour before anyone starts (London)
    with time_machine.travel(early, tick=False), bound(app.extensions["dispatch.db"].engine):
        (waiting,) = _open(session, world, d.ids["first"], 1)
        assert jobs.assign_all() == {d.ids["first"]: 0}
    assert _assignees(session, [waiting]) == [None]
    with (
        time_machine.travel(early.replace(hour=9, minute=1), tick=False),
        bound(app.extensions["dispatch.db"].engine),
    ):
        assert jobs.assign_all() == {d.ids["first"]: 1}  # nobody asked: the minute's run found it
    assert _assignees(session, [waiting])[0] in {
        d.ids["a1"],
        d.ids["a2"],
        d.ids["a3"],
        world.ids["user_agent"],
    }
