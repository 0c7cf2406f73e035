"""The reports API: a figure as JSON and as CSV, and the 4xx a bad question gets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from dispatch.reports import service
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind

API = "/api/v1/reports"
DAY = date(2026, 11, 10)


def test_figure_as_json_and_csv_and_what_a_bad_question_gets(app, client, world):
    with app.extensions["dispatch.db"].sessions() as session:
        for hour, channel in ((9, "email"), (10, "email"), (11, "phone")):
            session.add(
                Ticket(
                    kind=TicketKind.FAULT,
                    channel=TicketChannel(channel),
                    subject="Boiler noise",
                    customer_id=world.ids["c1"],
                    created_at=datetime(2026, 11, 10, hour, tzinfo=UTC),
                )
            )
        session.flush()
        service.build_day(session, DAY, time_zone="Europe/London")
        session.commit()
    headers = world.h("dispatcher")

    listed = client.get(API, headers=world.h("agent")).json["items"]
    assert {"volume", "sla"} <= {f["name"] for f in listed}
    assert "travel_time" not in {f["name"] for f in listed}

    body = client.get(f"{API}/volume?from=2026-11-10&to=2026-11-10&group=channel", headers=headers).json
    assert body["figure"]["title"] == "Tickets created"
    assert [(p["label"], p["value"]) for p in body["points"]] == [("Email", 2), ("Phone", 1)]

    zh = client.get(
        f"{API}/volume?from=2026-11-10&to=2026-11-10&group=channel",
        headers={**headers, "Accept-Language": "zh-CN"},
    )
    assert zh.json["figure"]["title"] != "Tickets created"

    for extra, query in (({"Accept": "text/csv"}, ""), ({}, "&format=csv")):
        answer = client.get(
            f"{API}/volume?from=2026-11-10&to=2026-11-10{query}", headers={**headers, **extra}
        )
        assert answer.mimetype == "text/csv"
        assert "volume_2026-11-10_2026-11-10.csv" in answer.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
        assert [(r["period"], r["key"], r["value"]) for r in rows] == [("2026-11-10", "all", "3")]

    bad = client.get(f"{API}/volume?from=2025-01-01&to=2026-11-10", headers=headers)
    assert bad.status_code == 422
    assert "366" in bad.json["message"]
    bad = client.get(f"{API}/volume?group=engineer", headers=headers)
    assert (bad.status_code, bad.json["errors"]["group"]) == (422, ["one of: all, channel, category"])
    bad = client.get(f"{API}/volume?from=2026-11-10&to=2026-11-01", headers=headers)
    assert bad.status_code == 422
    assert "to" in bad.json["errors"]["query"]
    assert client.get(f"{API}/volume?from=yesterday", headers=headers).status_code == 422
    assert client.get(f"{API}/nothing", headers=headers).status_code == 404
