"""The customer's ETA: the published start, then the drive from the engineer's live position."""

from __future__ import annotations

from datetime import timedelta

from dispatch.booking.tracking import eta_for
from dispatch.orders.models import Order
from dispatch.positions.models import EngineerPosition


def _position(session, engineer_id, at, lat=53.5200, lon=-2.2290):
    """About 10 km north of the world's site s1."""
    session.add(
        EngineerPosition(engineer_id=engineer_id, latitude=lat, longitude=lon, recorded_at=at, received_at=at)
    )
    session.flush()


def test_en_route_eta_is_now_plus_the_drive_from_the_live_position(app, world):
    session = app.extensions["dispatch.db"].sessions()
    try:
        order = session.get(Order, world.ids["o_route"])
        window = order.time_windows[0]
        now = window.starts_at + timedelta(minutes=10)
        _position(session, world.ids["e1"], now - timedelta(minutes=1))
        eta = eta_for(session, order, now=now)
        assert eta is not None
        drive = (eta - now).total_seconds()
        assert 8 * 60 < drive < 40 * 60  # ~10 km across town
        # Closer, sooner.
        session.get(EngineerPosition, world.ids["e1"]).latitude = 53.4400
        session.flush()
        assert eta_for(session, order, now=now) < eta
    finally:
        session.close()


def test_no_recent_position_keeps_the_published_start(app, world):
    session = app.extensions["dispatch.db"].sessions()
    try:
        order = session.get(Order, world.ids["o_route"])
        now = order.time_windows[0].starts_at + timedelta(minutes=10)
        _position(session, world.ids["e1"], now - timedelta(hours=1))
        assert eta_for(session, order, now=now) == order.scheduled_start
        # Before the engineer sets off, the plan's start is the promise, wherever they are.
        accepted = session.get(Order, world.ids["o_acc"])
        assert eta_for(session, accepted, now=now) == accepted.scheduled_start
    finally:
        session.close()


def test_an_early_engineer_is_not_promised_before_the_window(app, world):
    session = app.extensions["dispatch.db"].sessions()
    try:
        order = session.get(Order, world.ids["o_route"])
        window = order.time_windows[0]
        now = window.starts_at - timedelta(hours=2)
        _position(session, world.ids["e1"], now)
        assert eta_for(session, order, now=now) == window.starts_at
    finally:
        session.close()
