"""Every endpoint x every role, with the exact status each must get.

Rows name resources of the world fixture: ``c1``/``s1``/``e1`` and the ``o_*`` orders belong to the
customer and engineer users; ``c2``/``s2``/``e2``/``o_other`` belong to someone else. A customer or
engineer asking for something that is not theirs gets 404 (its existence is not disclosed);
asking to do something their role may never do gets 403.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import snapshot
from tests.factories import tomorrow_at

ROLES = ("admin", "dispatcher", "agent", "engineer", "customer")
Body = Callable[[Any], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    """One endpoint call and the status each role gets."""

    method: str
    path: str
    expected: tuple[int, int, int, int, int]
    body: Body = None
    if_match: bool = False
    etag_path: str | None = None
    """Where to read the ETag for If-Match (default: the resource the path names)."""


def _window(hour: int) -> dict[str, str]:
    return {"starts_at": tomorrow_at(hour).isoformat(), "ends_at": tomorrow_at(hour + 2).isoformat()}


def _site(customer: str) -> Body:
    return lambda w: {
        "customer_id": w.ids[customer],
        "address": "9 Oak Grove, Sale",
        "latitude": 53.42,
        "longitude": -2.32,
    }


def _order(customer: str, site: str) -> Body:
    return lambda w: {
        "customer_id": w.ids[customer],
        "site_id": w.ids[site],
        "service_type_id": w.ids["boiler-service"],
        "time_windows": [_window(14)],
    }


def _shift(w: Any) -> dict[str, Any]:
    return {
        "engineer_id": w.ids["e3"],
        "starts_at": tomorrow_at(8).isoformat(),
        "ends_at": tomorrow_at(16).isoformat(),
    }


def _local_window(hour: int) -> dict[str, str]:
    """An offered booking window tomorrow, local time in Europe/London."""
    day = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    start = datetime.combine(day, time(hour), tzinfo=ZoneInfo("Europe/London"))
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


def _slot_query() -> str:
    day = _local_window(8)["starts_at"][:10]
    return "service_type_id={boiler-service}&latitude=53.43&longitude=-2.23&day=" + day


def _booking(w: Any, site: str) -> dict[str, Any]:
    return {"service_type_id": w.ids["boiler-service"], "site_id": w.ids[site], **_local_window(14)}


OK, NEW, NO_CONTENT = 200, 201, 204
DENIED, HIDDEN = 403, 404

ROWS: list[Row] = [
    Row("GET", "/auth/me", (OK, OK, OK, OK, OK)),
    Row("PATCH", "/auth/me", (OK, OK, OK, OK, OK), body=lambda w: {"locale": "zh_Hans"}),
    Row("GET", "/users", (OK, DENIED, DENIED, DENIED, DENIED)),
    Row(
        "POST",
        "/users",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {
            "email": "new.dispatcher@example.com",
            "full_name": "New Dispatcher",
            "role": "dispatcher",
            "password": "a long enough password",
        },
    ),
    Row("GET", "/users/{user_admin}", (OK, DENIED, DENIED, DENIED, DENIED)),
    Row(
        "PATCH",
        "/users/{user_agent}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"full_name": "Agent A"},
    ),
    Row("GET", "/customers", (OK, OK, OK, OK, OK)),
    Row("POST", "/customers", (NEW, NEW, NEW, DENIED, DENIED), lambda w: {"name": "Ella Wood"}),
    Row("GET", "/customers/{c1}", (OK, OK, OK, OK, OK)),
    Row("GET", "/customers/{c2}", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("PATCH", "/customers/{c1}", (OK, OK, OK, DENIED, OK), lambda w: {"phone": "+44 161 496 0999"}),
    Row("PATCH", "/customers/{c2}", (OK, OK, OK, DENIED, HIDDEN), lambda w: {"phone": "+44 161 496 0998"}),
    Row("GET", "/sites", (OK, OK, OK, OK, OK)),
    Row("POST", "/sites", (NEW, NEW, NEW, DENIED, NEW), _site("c1")),
    Row("POST", "/sites", (NEW, NEW, NEW, DENIED, DENIED), _site("c2")),
    Row("GET", "/sites/{s1}", (OK, OK, OK, OK, OK)),
    Row("GET", "/sites/{s2}", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("PATCH", "/sites/{s1}", (OK, OK, OK, DENIED, OK), lambda w: {"access_notes": "Side gate"}),
    Row("PATCH", "/sites/{s2}", (OK, OK, OK, DENIED, HIDDEN), lambda w: {"access_notes": "Side gate"}),
    Row("GET", "/skills", (OK, OK, OK, OK, OK)),
    Row("POST", "/skills", (NEW, NEW, DENIED, DENIED, DENIED), lambda w: {"code": "hvac", "name": "HVAC"}),
    Row("GET", "/skills/{gas}", (OK, OK, OK, OK, OK)),
    Row("PATCH", "/skills/{gas}", (OK, OK, DENIED, DENIED, DENIED), lambda w: {"name": "Gas Safe"}),
    Row("GET", "/service-types", (OK, OK, OK, OK, OK)),
    Row(
        "POST",
        "/service-types",
        (NEW, NEW, DENIED, DENIED, DENIED),
        lambda w: {"code": "leak-repair", "name": "Leak repair", "default_duration_s": 3600},
    ),
    Row("GET", "/service-types/{boiler-service}", (OK, OK, OK, OK, OK)),
    Row(
        "PATCH",
        "/service-types/{boiler-service}",
        (OK, OK, DENIED, DENIED, DENIED),
        lambda w: {"default_duration_s": 4200},
    ),
    Row("GET", "/teams", (OK, OK, OK, OK, DENIED)),
    Row(
        "POST",
        "/teams",
        (NEW, NEW, DENIED, DENIED, DENIED),
        lambda w: {"code": "north", "name": "North", "time_zone": "Europe/London"},
    ),
    Row("GET", "/teams/{team}", (OK, OK, OK, OK, DENIED)),
    Row("PATCH", "/teams/{team}", (OK, OK, DENIED, DENIED, DENIED), lambda w: {"region": "Trafford"}),
    Row("GET", "/engineers", (OK, OK, OK, OK, DENIED)),
    Row(
        "POST",
        "/engineers",
        (NEW, NEW, DENIED, DENIED, DENIED),
        lambda w: {"name": "Amir Khan", "home_latitude": 53.4, "home_longitude": -2.2, "skills": ["gas"]},
    ),
    Row("GET", "/engineers/{e1}", (OK, OK, OK, OK, DENIED)),
    Row("GET", "/engineers/{e2}", (OK, OK, OK, HIDDEN, DENIED)),
    Row("PATCH", "/engineers/{e1}", (OK, OK, DENIED, DENIED, DENIED), lambda w: {"phone": "+44 7700 900001"}),
    Row("GET", "/shifts", (OK, OK, OK, OK, DENIED)),
    Row("POST", "/shifts", (NEW, NEW, DENIED, DENIED, DENIED), _shift),
    Row("GET", "/shifts/{sh1}", (OK, OK, OK, OK, DENIED)),
    Row("GET", "/shifts/{sh2}", (OK, OK, OK, HIDDEN, DENIED)),
    Row("PATCH", "/shifts/{sh1}", (OK, OK, DENIED, DENIED, DENIED), lambda w: {"break_duration_s": 2700}),
    Row("DELETE", "/shifts/{sh1}", (NO_CONTENT, NO_CONTENT, DENIED, DENIED, DENIED)),
    Row("GET", "/orders", (OK, OK, OK, OK, OK)),
    Row("POST", "/orders", (NEW, NEW, NEW, DENIED, NEW), _order("c1", "s1")),
    Row("POST", "/orders", (NEW, NEW, NEW, DENIED, DENIED), _order("c2", "s2")),
    Row("GET", "/orders/{o_disp}", (OK, OK, OK, OK, OK)),
    Row("GET", "/orders/{o_new}", (OK, OK, OK, HIDDEN, OK)),
    Row("GET", "/orders/{o_other}", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row(
        "PATCH",
        "/orders/{o_disp}",
        (OK, OK, OK, DENIED, DENIED),
        lambda w: {"description": "Bring ladder"},
        True,
    ),
    Row("GET", "/orders/{o_disp}/events", (OK, OK, OK, OK, OK)),
    Row("GET", "/orders/{o_other}/events", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("POST", "/orders/{o_disp}/cancel", (OK, OK, OK, DENIED, OK), lambda w: {"reason": "moved out"}, True),
    Row(
        "POST", "/orders/{o_other}/cancel", (OK, OK, OK, HIDDEN, HIDDEN), lambda w: {"reason": "moved"}, True
    ),
    Row(
        "POST",
        "/orders/{o_disp}/reschedule",
        (OK, OK, OK, DENIED, OK),
        lambda w: {"time_windows": [_window(15)]},
        True,
    ),
    Row(
        "POST",
        "/orders/{o_disp}/transfer",
        (OK, OK, DENIED, DENIED, DENIED),
        lambda w: {"engineer_id": w.ids["e3"], "reason": "e1 overbooked"},
        True,
    ),
    Row(
        "POST",
        "/orders/{o_new}/assign",
        (OK, OK, DENIED, HIDDEN, DENIED),
        lambda w: {"engineer_id": w.ids["e1"]},
        True,
    ),
    Row("POST", "/orders/{o_disp}/unassign", (OK, OK, DENIED, DENIED, DENIED), lambda w: {}, True),
    Row("POST", "/orders/{o_sched}/dispatch", (OK, OK, DENIED, DENIED, DENIED), None, True),
    Row("POST", "/orders/{o_disp}/accept", (OK, OK, DENIED, OK, DENIED), None, True),
    Row("POST", "/orders/{o_other}/accept", (OK, OK, DENIED, HIDDEN, HIDDEN), None, True),
    Row(
        "POST",
        "/orders/{o_disp}/decline",
        (OK, OK, DENIED, OK, DENIED),
        lambda w: {"reason": "van broke"},
        True,
    ),
    Row("POST", "/orders/{o_acc}/start-travel", (OK, OK, DENIED, OK, DENIED), None, True),
    Row("POST", "/orders/{o_route}/check-in", (OK, OK, DENIED, OK, DENIED), None, True),
    # o_site is a boiler service, which needs the customer's signature: the engineer is refused
    # (409) until it has arrived; planners closing it from the office are not asked for it.
    Row(
        "POST", "/orders/{o_site}/complete", (OK, OK, DENIED, 409, DENIED), lambda w: {"notes": "done"}, True
    ),
    Row(
        "POST",
        "/orders/{o_site}/incomplete",
        (OK, OK, DENIED, OK, DENIED),
        lambda w: {"reason": "part missing"},
        True,
    ),
    Row("GET", "/events", (OK, OK, DENIED, DENIED, DENIED)),
    # Planning: dispatchers and admins only. The requested day has no shifts, so the job is instant.
    Row(
        "POST",
        "/plans",
        (202, 202, DENIED, DENIED, DENIED),
        lambda w: {"day": "2030-01-07", "time_limit_s": 1},
    ),
    Row("GET", "/plans", (OK, OK, DENIED, DENIED, DENIED)),
    Row("GET", "/live-day?day=2030-01-07", (OK, OK, DENIED, DENIED, DENIED)),
    Row("GET", "/plans/{plan}", (OK, OK, DENIED, DENIED, DENIED)),
    Row("DELETE", "/plans/{plan}", (OK, OK, DENIED, DENIED, DENIED)),
    Row("POST", "/plans/{plan}/publish", (OK, OK, DENIED, DENIED, DENIED)),
    # e3 has no shift on the plan's day: the optimizer is not even asked.
    Row(
        "POST",
        "/plans/{plan}/moves",
        (422, 422, DENIED, DENIED, DENIED),
        lambda w: {"order_id": w.ids["o_new"], "engineer_id": w.ids["e3"]},
    ),
    # Field work. Ids the device makes sit in the path; "{e3}" resolves to a valid one ("3").
    # A JSON body is not an image: those allowed to upload get 415, the others 403/404 first.
    Row("PUT", "/orders/{o_site}/attachments/{e3}", (415, 415, DENIED, 415, DENIED), lambda w: {"a": 1}),
    Row("PUT", "/orders/{o_other}/attachments/{e3}", (409, 409, DENIED, HIDDEN, HIDDEN), lambda w: {"a": 1}),
    Row("GET", "/orders/{o_site}/attachments", (OK, OK, OK, OK, OK)),
    Row("GET", "/orders/{o_other}/attachments", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("GET", "/attachments/{e3}/content", (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    Row("PUT", "/orders/{o_site}/notes/{e3}", (NEW, NEW, DENIED, NEW, DENIED), lambda w: {"text": "Flue ok"}),
    Row("PUT", "/orders/{o_other}/notes/{e3}", (409, 409, DENIED, HIDDEN, HIDDEN), lambda w: {"text": "x"}),
    Row("GET", "/orders/{o_site}/report", (OK, OK, OK, OK, OK)),
    Row("GET", "/orders/{o_other}/report", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row(
        "POST",
        "/positions",
        (DENIED, DENIED, DENIED, OK, DENIED),
        # A moment surely past whatever the hour (tomorrow_at(-20) is in the future before 04:00 UTC).
        lambda w: {
            "latitude": 53.43,
            "longitude": -2.23,
            "recorded_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        },
    ),
    Row("GET", "/positions", (OK, OK, DENIED, DENIED, DENIED)),
    # Booking (slots against the live plan; windows are local to Europe/London, the world's zone).
    Row("GET", "/slots?" + _slot_query(), (OK, OK, OK, DENIED, OK)),
    Row("POST", "/bookings", (NEW, NEW, NEW, DENIED, NEW), lambda w: _booking(w, "s1")),
    Row("GET", "/bookings/{o_new}", (OK, OK, OK, DENIED, OK)),
    Row("GET", "/bookings/{o_other}", (OK, OK, OK, DENIED, HIDDEN)),
    Row("POST", "/bookings/{o_route}/cancel", (409, 409, 409, DENIED, 409), lambda w: {}),
    Row("POST", "/bookings/{o_other}/reschedule", (OK, OK, OK, DENIED, HIDDEN), lambda w: _local_window(14)),
    Row("GET", "/tracking/{o_new}", (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
]


def _ticket(customer: str, **extra: Any) -> Body:
    return lambda w: {
        "kind": "fault",
        "subject": "Boiler noise",
        "body": "It bangs when it starts.",
        "customer_id": w.ids[customer],
        **{k: (w.ids[v] if isinstance(v, str) else [w.ids[x] for x in v]) for k, v in extra.items()},
    }


def _visit(w: Any) -> dict[str, Any]:
    return {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], **_local_window(14)}


# The service desk (tickets, routing, teams, agents, categories, recognition): see build_desk_world.
DESK_ROWS: list[Row] = [
    Row("GET", "/tickets", (OK, OK, OK, OK, OK)),
    Row("GET", "/tickets?queue=mine", (OK, OK, OK, DENIED, DENIED)),
    Row("POST", "/tickets", (NEW, NEW, NEW, NEW, NEW), _ticket("c1", order_ids=["o_disp"])),
    Row("POST", "/tickets", (NEW, NEW, NEW, 422, DENIED), _ticket("c2")),
    Row("GET", "/tickets/queues", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/tickets/{t1}", (OK, OK, OK, OK, OK)),
    Row("GET", "/tickets/{t2}", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("PATCH", "/tickets/{t1}", (OK, OK, OK, DENIED, DENIED), lambda w: {"priority": "urgent"}, True),
    Row("POST", "/tickets/{t1}/status", (OK, OK, OK, DENIED, DENIED), lambda w: {"status": "resolved"}, True),
    Row("POST", "/tickets/{t2}/status", (OK, OK, OK, HIDDEN, HIDDEN), lambda w: {"status": "pending"}, True),
    Row(
        "POST",
        "/tickets/{t1}/assign",
        (OK, OK, OK, DENIED, DENIED),
        lambda w: {"assignee_id": w.ids["a1"]},
        True,
    ),
    Row(
        "POST",
        "/tickets/{t1}/transfer",
        (OK, OK, OK, DENIED, DENIED),
        lambda w: {"team_id": w.ids["second"], "reason": "billing question"},
        True,
    ),
    Row(
        "POST", "/tickets/{t1}/escalate", (OK, OK, OK, DENIED, DENIED), lambda w: {"reason": "gas leak"}, True
    ),
    # Only the owner of record or a member of the previous team (the agent user) takes it back.
    Row(
        "POST",
        "/tickets/{t_moved}/take-back",
        (409, 409, OK, HIDDEN, DENIED),
        lambda w: {"reason": "mine"},
        True,
    ),
    Row(
        "POST",
        "/tickets/{t1}/merge",
        (OK, OK, OK, DENIED, DENIED),
        lambda w: {"into_ticket_id": w.ids["t_target"]},
        True,
    ),
    Row("GET", "/tickets/{t1}/messages", (OK, OK, OK, OK, OK)),
    Row("GET", "/tickets/{t2}/messages", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("POST", "/tickets/{t1}/messages", (NEW, NEW, NEW, DENIED, NEW), lambda w: {"body": "Any news?"}),
    Row("GET", "/tickets/{t1}/timeline", (OK, OK, OK, OK, DENIED)),
    Row("POST", "/tickets/{t1}/orders", (NEW, NEW, NEW, DENIED, DENIED), _visit),
    Row("POST", "/tickets/{t1}/links", (OK, OK, OK, DENIED, DENIED), lambda w: {"order_id": w.ids["o_new"]}),
    Row("PUT", "/tickets/{t1}/attachments/{e3}", (415, 415, 415, DENIED, 415), lambda w: {"a": 1}),
    Row("GET", "/tickets/{t1}/attachments", (OK, OK, OK, OK, OK)),
    Row("GET", "/tickets/{t1}/attachments/{img}/content", (OK, OK, OK, OK, OK)),
    Row("GET", "/tickets/{t2}/attachments/{img}/content", (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    Row("GET", "/desk-teams", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "POST",
        "/desk-teams",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"code": "partners", "name": "Partner installers", "tier": "partner"},
    ),
    Row("GET", "/desk-teams/{first}", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "PATCH",
        "/desk-teams/{first}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"strategy": "least_loaded"},
    ),
    Row(
        "PUT",
        "/desk-teams/{first}/members/{user_dispatcher}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"is_lead": False},
    ),
    Row("DELETE", "/desk-teams/{first}/members/{a1}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED)),
    Row("GET", "/agents", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/agents/{a1}", (OK, OK, OK, DENIED, DENIED)),
    Row("PATCH", "/agents/{a1}", (OK, DENIED, DENIED, DENIED, DENIED), lambda w: {"capacity": 12}),
    # Agents set their own presence; admins anyone's.
    Row("POST", "/agents/{user_agent}/presence", (OK, DENIED, OK, DENIED, DENIED), lambda w: {"away": True}),
    Row("GET", "/routing-rules", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "POST",
        "/routing-rules",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {
            "name": "Complaints to second line",
            "condition": {"field": "kind", "in": ["complaint"]},
            "actions": {"team_id": w.ids["second"]},
        },
    ),
    Row(
        "POST",
        "/routing-rules/reorder",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"rule_ids": [w.ids["rule"]]},
    ),
    Row("GET", "/routing-rules/{rule}", (OK, OK, OK, DENIED, DENIED)),
    Row("PATCH", "/routing-rules/{rule}", (OK, DENIED, DENIED, DENIED, DENIED), lambda w: {"active": False}),
    Row("DELETE", "/routing-rules/{rule}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED)),
    Row("GET", "/ticket-categories", (OK, OK, OK, OK, OK)),
    Row(
        "POST",
        "/ticket-categories",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"name": "Leak", "parent_id": w.ids["heating"]},
    ),
    Row("GET", "/ticket-categories/{heating}", (OK, OK, OK, OK, OK)),
    Row(
        "PATCH",
        "/ticket-categories/{boiler}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"skills": ["gas"]},
    ),
    Row("DELETE", "/ticket-categories/{unused}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED)),
    Row("POST", "/customers/recognize", (OK, OK, OK, DENIED, DENIED), lambda w: {"phone": "0161 496 0000"}),
    Row("GET", "/customer-contacts/review", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "POST",
        "/customer-contacts/{rev}/link",
        (OK, OK, OK, DENIED, DENIED),
        lambda w: {"customer_id": w.ids["c1"]},
    ),
    Row("POST", "/customer-contacts/{rev2}/confirm", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/customers/{c1}/profile", (OK, OK, OK, DENIED, DENIED)),
]

# Business calendars, SLA policies and clocks: see tests.sla_factories.build_sla_world.
SLA_ROWS: list[Row] = [
    Row("GET", "/calendars", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "POST",
        "/calendars",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"name": "Shanghai", "time_zone": "Asia/Shanghai", "week": {"mon": [["09:00", "18:00"]]}},
    ),
    Row("GET", "/calendars/{cal}", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "PATCH",
        "/calendars/{cal}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"description": "HQ"},
        True,
    ),
    Row("DELETE", "/calendars/{spare_cal}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED), None, True),
    Row("GET", "/calendars/{cal}/days", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "PUT",
        "/calendars/{cal}/days/{boxing}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"intervals": [], "name": "Boxing Day"},
        True,
    ),
    Row("DELETE", "/calendars/{cal}/days/{xmas}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED), None, True),
    Row(
        "POST",
        "/calendars/{cal}/seed",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {
            "source": "holidays",
            "country": "GB",
            "subdiv": "ENG",
            "from_year": 2026,
            "to_year": 2026,
        },
        True,
    ),
    Row("GET", "/calendars/{cal}/due?start=2026-06-01T09:00:00Z&seconds=3600", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/sla-policies", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "POST",
        "/sla-policies",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {
            "name": "VIP",
            "position": 1,
            "condition": {"field": "tier", "in": ["vip"]},
            "calendar_id": w.ids["cal"],
            "first_response_s": 900,
        },
    ),
    Row(
        "POST",
        "/sla-policies/reorder",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"policy_ids": [w.ids["spare_pol"], w.ids["pol"]]},
    ),
    Row("GET", "/sla-policies/{pol}", (OK, OK, OK, DENIED, DENIED)),
    Row(
        "PATCH",
        "/sla-policies/{pol}",
        (OK, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"warn_percent": 75},
        True,
    ),
    Row("DELETE", "/sla-policies/{spare_pol}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED), None, True),
    Row("GET", "/tickets/{t1}/clocks", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/tickets/{t2}/clocks", (OK, OK, OK, HIDDEN, HIDDEN)),
    Row("GET", "/sla/about-to-breach?within_minutes=600", (OK, OK, OK, DENIED, DENIED)),
]

# Notifications and mail (admins; incoming messages for all staff): see build_notify_world.
ADMIN_ONLY = (OK, DENIED, DENIED, DENIED, DENIED)
NOTIFY_ROWS = [
    Row("GET", "/notifications", ADMIN_ONLY),
    Row("GET", "/notifications/{n1}", ADMIN_ONLY),
    Row("POST", "/notifications/{n1}/retry", ADMIN_ONLY),
    Row("GET", "/webhook-endpoints", ADMIN_ONLY),
    Row(
        "POST",
        "/webhook-endpoints",
        (NEW, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"url": "https://hooks.example.com/new", "events": ["order.*"]},
    ),
    Row("GET", "/webhook-endpoints/{hook}", ADMIN_ONLY),
    Row("PATCH", "/webhook-endpoints/{hook}", ADMIN_ONLY, lambda w: {"active": False}),
    Row("DELETE", "/webhook-endpoints/{hook}", (NO_CONTENT, DENIED, DENIED, DENIED, DENIED)),
    Row(
        "POST",
        "/webhook-endpoints/replay",
        (202, DENIED, DENIED, DENIED, DENIED),
        lambda w: {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
    ),
    Row("GET", "/mail/mailboxes", ADMIN_ONLY),
    Row("GET", "/mail/messages", (OK, OK, OK, DENIED, DENIED)),
    Row("GET", "/mail/messages/{in1}", (OK, OK, OK, DENIED, DENIED)),
]

# Knowledge base (see kb_world): agents and admins write; everyone reads published public articles,
# staff internal ones too; a draft is found by nobody but its editors.
EDITORS = (OK, DENIED, OK, DENIED, DENIED)
EVERYONE = (OK, OK, OK, OK, OK)
STAFF_ONLY_READ = (OK, OK, OK, HIDDEN, HIDDEN)
KB_ROWS = [
    Row("GET", "/kb/articles", EVERYONE),
    Row(
        "POST",
        "/kb/articles",
        (NEW, DENIED, NEW, DENIED, DENIED),
        lambda w: {"title": "Reset the thermostat", "body": "Hold the button."},
    ),
    Row("GET", "/kb/articles/{kb_pub}", EVERYONE),
    Row("GET", "/kb/articles/{kb_draft}?draft=true", (OK, HIDDEN, OK, HIDDEN, HIDDEN)),
    Row(
        "PATCH",
        "/kb/articles/{kb_pub}",
        EDITORS,
        lambda w: {"body": "Better words."},
        if_match=True,
        etag_path="/kb/articles/{kb_pub}",
    ),
    Row(
        "POST",
        "/kb/articles/{kb_draft}/publish",
        EDITORS,
        if_match=True,
        etag_path="/kb/articles/{kb_draft}?draft=true",
    ),
    Row("POST", "/kb/articles/{kb_pub}/unpublish", EDITORS, if_match=True, etag_path="/kb/articles/{kb_pub}"),
    Row("GET", "/kb/articles/{kb_pub}/versions", EDITORS),
    Row(
        "POST",
        "/kb/articles/{kb_pub}/solved-tickets",
        (NEW, DENIED, NEW, DENIED, DENIED),
        lambda w: {"ticket_id": w.ids["kb_ticket"]},
    ),
    Row("POST", "/kb/categories", (NEW, DENIED, NEW, DENIED, DENIED), lambda w: {"name": "Boilers"}),
    Row("PATCH", "/kb/categories/{kb_cat}", EDITORS, lambda w: {"name": "Cooling"}),
    Row("DELETE", "/kb/categories/{kb_empty}", (NO_CONTENT, DENIED, NO_CONTENT, DENIED, DENIED)),
    Row("GET", "/help/categories", EVERYONE),
    Row("GET", "/help/articles", EVERYONE),
    Row("GET", "/help/articles/{kb_pub}", EVERYONE),
    Row("GET", "/help/articles/{kb_int}", STAFF_ONLY_READ),
    Row("GET", "/help/articles/{kb_draft}", (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
    Row("GET", "/help/suggest?q=leak", EVERYONE),
    Row("POST", "/help/articles/{kb_pub}/feedback", EVERYONE, lambda w: {"helpful": True}),
    Row("POST", "/help/articles/{kb_pub}/answered", (NEW, NEW, NEW, NEW, NEW)),
]

CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for n, row in enumerate(ROWS)
    for i, role in enumerate(ROLES)
]


def _url(path: str, ids: dict[str, int]) -> str:
    for name, value in sorted(ids.items(), key=lambda kv: -len(kv[0])):
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"unresolved id in {path}"
    return "/api/v1" + path


DESK_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in DESK_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("row", "role", "status"), CELLS)
def test_role_gets_exactly_the_expected_status(client, world, row, role, status):
    check_cell(client, world, row, role, status)


@pytest.fixture
def desk_world(app, engine, world):
    """The world with the service desk beside it (queued assignment settled before the test)."""
    from tests.desk_factories import build_desk_world

    def build():
        session = app.extensions["dispatch.db"].sessions()
        try:
            build_desk_world(session, app, world)
            session.commit()
        finally:
            session.close()
        return world

    return snapshot.built_or_restored("desk", app, engine, build, over=True)


@pytest.mark.parametrize(("row", "role", "status"), DESK_CELLS)
def test_desk_role_gets_exactly_the_expected_status(client, desk_world, row, role, status):
    check_cell(client, desk_world, row, role, status)


SLA_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in SLA_ROWS
    for i, role in enumerate(ROLES)
]

NOTIFY_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in NOTIFY_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def sla_world(app, engine, desk_world):
    """The desk world with business calendars and SLA policies (the open tickets timed by one)."""
    from tests.sla_factories import build_sla_world

    def build():
        session = app.extensions["dispatch.db"].sessions()
        try:
            build_sla_world(session, desk_world)
            session.commit()
        finally:
            session.close()
        return desk_world

    return snapshot.built_or_restored("sla", app, engine, build, over=True)


@pytest.mark.parametrize(("row", "role", "status"), SLA_CELLS)
def test_sla_role_gets_exactly_the_expected_status(client, sla_world, row, role, status):
    check_cell(client, sla_world, row, role, status)


@pytest.fixture
def notify_world(app, engine, world):
    """The world with a webhook endpoint, a failed notification and an incoming message."""
    return snapshot.built_or_restored(
        "notify", app, engine, lambda: _build_notify_world(app, world), over=True
    )


def _build_notify_world(app, world):
    from dispatch.mail.models import InboundMail, InboundOutcome
    from dispatch.notifications.models import Channel, DeliveryStatus, Notification, WebhookEndpoint

    app.extensions["dispatch.queue"].wait_idle()
    with app.extensions["dispatch.db"].sessions() as session:
        hook = WebhookEndpoint(url="https://hooks.example.com/in", events=[])
        note = Notification(
            event="ticket.resolved",
            channel=Channel.EMAIL,
            to_address="grace@example.com",
            status=DeliveryStatus.FAILED,
            context={},
        )
        raw = b"From: a@example.org\r\nSubject: Hi\r\n\r\nHello\r\n"
        mail = InboundMail(mailbox="INBOX", uidvalidity=1, uid=1, raw=raw, outcome=InboundOutcome.AUTOMATIC)
        session.add_all([hook, note, mail])
        session.commit()
        world.ids.update(hook=hook.id, n1=note.id, in1=mail.id)
    return world


@pytest.mark.parametrize(("row", "role", "status"), NOTIFY_CELLS)
def test_notify_role_gets_exactly_the_expected_status(client, notify_world, row, role, status):
    check_cell(client, notify_world, row, role, status)


KB_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in KB_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def kb_world(app, engine, world):
    """The world with a public, an internal and a draft article, two categories and a ticket."""
    return snapshot.built_or_restored("kb", app, engine, lambda: _build_kb_world(app, world), over=True)


def _build_kb_world(app, world):
    from dispatch.access import SYSTEM
    from dispatch.kb import categories
    from dispatch.kb import service as kb
    from dispatch.kb.models import Visibility
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        cat = categories.create(session, actor=SYSTEM, name="Air conditioning")
        empty = categories.create(session, actor=SYSTEM, name="Empty")
        public = kb.create(
            session, actor=SYSTEM, draft=kb.Draft(title="Leaking unit", body="It leaks water.")
        )
        kb.publish(session, actor=SYSTEM, article_id=public.id)
        internal = kb.create(
            session,
            actor=SYSTEM,
            draft=kb.Draft(title="Refund rules", body="Leak refunds.", visibility=Visibility.INTERNAL),
        )
        kb.publish(session, actor=SYSTEM, article_id=internal.id)
        draft = kb.create(session, actor=SYSTEM, draft=kb.Draft(title="Not ready", body="Leak draft."))
        ticket = open_ticket(session, world.ids["c1"])
        session.commit()
        world.ids.update(
            kb_cat=cat.id, kb_empty=empty.id, kb_pub=public.id, kb_int=internal.id, kb_draft=draft.id,
            kb_ticket=ticket.id,
        )  # fmt: skip
    app.extensions["dispatch.queue"].wait_idle()
    return world


@pytest.mark.parametrize(("row", "role", "status"), KB_CELLS)
def test_kb_role_gets_exactly_the_expected_status(client, kb_world, row, role, status):
    check_cell(client, kb_world, row, role, status)


def check_cell(client: Any, world: Any, row: Row, role: str, status: int) -> None:
    """Call the row's endpoint as the role and check the status (and a refusal's message)."""
    url = _url(row.path, world.ids)
    headers = world.h(role)
    if row.if_match:
        source = _url(row.etag_path, world.ids) if row.etag_path else None
        source = source or (url.rsplit("/", 1)[0] if url.count("/") > 4 else url)
        current = client.get(source, headers=world.h("admin"))
        headers["If-Match"] = current.headers["ETag"]
    kwargs: dict[str, Any] = {"headers": headers}
    if row.body is not None:
        kwargs["json"] = row.body(world)
    response = client.open(url, method=row.method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        body = response.json
        assert body["code"] == status
        assert body["message"]


def test_matrix_covers_every_documented_operation(client, app):
    """A new endpoint must get a row: the matrix is checked against the OpenAPI document."""
    spec = client.get("/api/openapi.json").json
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "patch", "put", "delete"}
    }
    public = {("POST", "/auth/login"), ("POST", "/auth/refresh"), ("POST", "/auth/revoke")}
    covered = {(row.method, _template(row.path, spec)) for row in _all_rows()}
    assert documented - public - covered == set()


def _all_rows() -> list[Row]:
    """This module's rows and every ``*_ROWS`` list of the ``test_role_matrix_*`` modules beside it."""
    rows = ROWS + DESK_ROWS + SLA_ROWS + NOTIFY_ROWS + KB_ROWS
    for path in sorted(Path(__file__).parent.glob("test_role_matrix_*.py")):
        module = importlib.import_module(f"tests.api.{path.stem}")
        for name, value in vars(module).items():
            if name.endswith("_ROWS") and isinstance(value, list):
                rows += [row for row in value if isinstance(row, Row)]
    return rows


def _template(path: str, spec: dict[str, Any]) -> str:
    """Map ``/orders/{o_disp}/cancel`` to the documented ``/orders/{order_id}/cancel``."""
    parts = path.split("?")[0].strip("/").split("/")
    for candidate in spec["paths"]:
        cparts = candidate.removeprefix("/api/v1").strip("/").split("/")
        if len(cparts) == len(parts) and all(
            c == p or (c.startswith("{") and p.startswith("{")) for c, p in zip(cparts, parts, strict=True)
        ):
            return candidate.removeprefix("/api/v1")
    return path
