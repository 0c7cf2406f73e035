"""Routing rules: explicit order, first match wins, conditions over every field, checked on save."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.customers.models import Customer, CustomerTier
from dispatch.db import make_session_factory
from dispatch.errors import Conflict, Invalid
from dispatch.events.models import Event
from dispatch.routing import conditions
from dispatch.routing import service as routing
from dispatch.tickets.models import TicketChannel, TicketKind
from tests.desk_factories import build_desk, open_ticket


@pytest.fixture
def desk(app, world):
    session = make_session_factory(app.extensions["dispatch.db"].engine)()
    built = build_desk(session, world)
    yield session, world, built
    session.rollback()
    session.close()


def facts(**kw):
    base = {
        "channel": "email",
        "kind": "fault",
        "priority": "normal",
        "tier": "standard",
        "subject": "No heat",
    }
    return conditions.Facts(**(base | kw))


def test_conditions_over_each_field_and_their_combinations():
    vip_leak = {
        "all": [
            {"field": "tier", "in": ["vip", "key_account"]},
            {"any": [{"field": "subject", "words": ["leak", "漏水"]}, {"field": "category", "in": [7]}]},
            {"not": {"field": "channel", "in": ["phone"]}},
        ]
    }
    assert conditions.validate(vip_leak) == vip_leak
    hit = conditions.evaluate(vip_leak, facts(tier="vip", subject="Water LEAK under sink"))
    assert hit is not None
    assert {"field": "subject", "words": ["leak"]} in hit.held
    assert (
        conditions.evaluate(vip_leak, facts(tier="vip", subject="厨房漏水了")) is not None
    )  # inside a Chinese run
    assert (
        conditions.evaluate(vip_leak, facts(tier="vip", subject="leaking? no: bleak")) is None
    )  # whole words
    assert conditions.evaluate(vip_leak, facts(tier="vip", categories=frozenset({7, 3}))) is not None
    assert conditions.evaluate(vip_leak, facts(tier="vip", channel="phone", subject="leak")) is None
    assert conditions.evaluate(vip_leak, facts(tier="standard", subject="leak")) is None
    region = {"field": "region", "in": ["M20", "Salford"]}
    assert conditions.evaluate(region, facts(regions=frozenset({"m20"}))) is not None
    assert conditions.evaluate({"all": []}, facts()) is not None


@pytest.mark.parametrize(
    ("condition", "where"),
    [
        ({"field": "colour", "in": ["red"]}, "condition.field"),
        ({"field": "channel", "in": ["fax"]}, "condition.in"),
        ({"field": "subject", "in": ["x"]}, "condition"),
        ({"all": [{"field": "kind", "in": []}]}, "condition.all[0].in"),
        ({"all": {"field": "kind"}}, "condition.all"),
        ({"any": [], "all": []}, "condition"),
        ({"field": "category", "in": ["heating"]}, "condition.in"),
        ([1, 2], "condition"),
    ],
)
def test_a_bad_condition_is_refused_naming_where(condition, where):
    with pytest.raises(Invalid) as caught:
        conditions.validate(condition)
    assert where in caught.value.errors
    assert where in str(caught.value.message)


def test_rules_are_tried_in_order_and_the_first_match_is_recorded_with_its_reason(desk):
    session, world, d = desk
    session.get(Customer, world.ids["c1"]).tier = CustomerTier.VIP
    broad = routing.create_rule(
        session,
        actor=SYSTEM,
        name="Faults to first line",
        condition={"field": "kind", "in": ["fault"]},
        actions={"team_id": d.ids["first"]},
        position=2,
    )
    vip = routing.create_rule(
        session,
        actor=SYSTEM,
        name="VIP to second line",
        condition={"field": "tier", "in": ["vip"]},
        actions={"team_id": d.ids["second"], "priority": "high", "tags": ["vip"], "sla_policy_id": 3},
        position=1,
    )
    ticket = open_ticket(session, world.ids["c1"])
    assert (ticket.team_id, ticket.priority.value, ticket.tags, ticket.sla_policy_id) == (
        d.ids["second"],
        "high",
        ["vip"],
        3,
    )
    assert ticket.routing_rule_id == vip.id
    assert ticket.routing_match["held"] == [{"field": "tier", "value": "vip"}]
    routed = session.scalar(select(Event).where(Event.ticket_id == ticket.id, Event.action == "routed"))
    assert routed.payload["rule"] == "VIP to second line"
    # Reorder: the broad rule first now wins.
    routing.reorder_rules(session, actor=SYSTEM, rule_ids=[broad.id, vip.id])
    assert open_ticket(session, world.ids["c1"]).team_id == d.ids["first"]
    # What staff give by hand is kept; the rule fills the rest.
    given = open_ticket(session, world.ids["c1"], team_id=d.ids["second"], channel=TicketChannel.PHONE)
    assert given.team_id == d.ids["second"]
    assert given.routing_rule_id == broad.id
    # No rule matches an inquiry: the ticket waits unrouted.
    plain = open_ticket(session, world.ids["c2"], kind=TicketKind.INQUIRY)
    assert plain.team_id is None
    assert plain.routing_rule_id is None


def test_positions_are_unique_and_actions_are_checked(desk):
    session, _world, _d = desk
    routing.create_rule(
        session, actor=SYSTEM, name="A", condition={"all": []}, actions={"priority": "low"}, position=5
    )
    with pytest.raises(Conflict, match="position 5"):
        routing.create_rule(
            session, actor=SYSTEM, name="B", condition={"all": []}, actions={"priority": "low"}, position=5
        )
    with pytest.raises(Invalid) as caught:
        routing.create_rule(
            session, actor=SYSTEM, name="C", condition={"all": []}, actions={"team_id": 999, "colour": "x"}
        )
    assert {"actions", "actions.team_id"} <= set(caught.value.errors)
    last = routing.create_rule(
        session, actor=SYSTEM, name="D", condition={"all": []}, actions={"priority": "high"}
    )
    assert last.position == 6
    with pytest.raises(Invalid):
        routing.reorder_rules(session, actor=SYSTEM, rule_ids=[last.id])
