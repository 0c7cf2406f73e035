"""Two customers race for the last window against the live server: one gets it, the other a 409."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from tests.booking_world import build, committed, days_ahead


@pytest.fixture(autouse=True)
def _close_server_connections(app: Any) -> Any:
    """The live server's threads leave pooled connections behind: close them after each race."""
    yield
    app.extensions["dispatch.db"].engine.dispose()


def _race(base: str, bodies: list[tuple[dict[str, Any], dict[str, str]]]) -> list[requests.Response]:
    """POST every booking at the same instant, one thread each."""
    start = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def go(i: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        start.wait()
        results[i] = requests.post(f"{base}/api/v1/bookings", json=body, headers=headers, timeout=60)

    threads = [threading.Thread(target=go, args=(i, b, h)) for i, (b, h) in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_customers_racing_for_the_last_window_one_wins_the_other_gets_fresh_slots(app, live_server):
    # A 90-minute job, one engineer working 08:00-11:00: room for exactly one visit, 08-10.
    w = committed(app, lambda s: build(s, app, day=days_ahead(3), shift_hours=(8, 11), long_job=True))
    query = {
        "service_type_id": w.ids["long"],
        "day": w.day.isoformat(),
        "latitude": 53.48,
        "longitude": -2.24,
    }
    for round_ in range(3):
        offered = requests.get(
            f"{live_server}/api/v1/slots", params=query, headers=w.headers["customer"], timeout=30
        ).json()
        if round_ == 0:
            assert [s["local_starts_at"][11:16] for s in offered] == ["08:00"]
            window = {"starts_at": offered[0]["starts_at"], "ends_at": offered[0]["ends_at"]}
            body = {"service_type_id": w.ids["long"], **window}
            responses = _race(
                live_server,
                [
                    (body | {"site_id": w.ids["s1"]}, w.headers["customer"]),
                    (body | {"site_id": w.ids["s2"]}, w.headers["customer2"]),
                ],
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201, 409], [r.text for r in responses]
            loser = next(r for r in responses if r.status_code == 409).json()
            assert loser["code"] == 409
            assert "just been taken" in loser["message"]
            assert loser["errors"]["slots"] == []  # fresh: nothing is left that day
            winner = next(r for r in responses if r.status_code == 201).json()
            assert winner["order"]["status"] == "scheduled"
        else:
            assert offered == []  # and it stays full


def test_racing_for_one_of_two_windows_the_loser_is_offered_the_other(app, live_server):
    # Two 90-minute jobs fit a 08:00-12:30 shift: 08-10 and 10-12, one each.
    w = committed(app, lambda s: build(s, app, day=days_ahead(4), shift_hours=(8, 13), long_job=True))
    query = {
        "service_type_id": w.ids["long"],
        "day": w.day.isoformat(),
        "latitude": 53.48,
        "longitude": -2.24,
    }
    offered = requests.get(
        f"{live_server}/api/v1/slots", params=query, headers=w.headers["agent"], timeout=30
    ).json()
    first = min(offered, key=lambda s: s["starts_at"])
    body = {"service_type_id": w.ids["long"], "starts_at": first["starts_at"], "ends_at": first["ends_at"]}
    # Three bookings for the same window: exactly one can have it.
    responses = _race(
        live_server,
        [
            (body | {"site_id": w.ids["s1"]}, w.headers["customer"]),
            (body | {"site_id": w.ids["s2"]}, w.headers["customer2"]),
            (body | {"site_id": w.ids["s2"]}, w.headers["agent"]),
        ],
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    for lost in (r for r in responses if r.status_code == 409):
        fresh = lost.json()["errors"]["slots"]
        assert fresh
        assert first["starts_at"] not in [s["starts_at"] for s in fresh]
