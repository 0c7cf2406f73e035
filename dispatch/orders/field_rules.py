"""Rules of the field an engineer's check-in must keep: the visit's own day, one job on site at a time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db import utcnow
from dispatch.errors import Conflict
from dispatch.i18n import _
from dispatch.orders.models import Order, OrderStatus


def visit_days(order: Order) -> set[date]:
    """The days (in the site's time zone) the visit is for: its planned start, else its windows."""
    zone = ZoneInfo(order.site.time_zone)
    if order.scheduled_start is not None:
        return {order.scheduled_start.astimezone(zone).date()}
    return {w.starts_at.astimezone(zone).date() for w in order.time_windows}


def check_day(order: Order, *, now: datetime | None = None) -> None:
    """Raise :class:`Conflict` unless today, where the site is, is a day of the visit."""
    days = visit_days(order)
    today = (now or utcnow()).astimezone(ZoneInfo(order.site.time_zone)).date()
    if not days or today in days:
        return
    planned = ", ".join(d.isoformat() for d in sorted(days))
    raise Conflict(
        _(
            "order %(number)s is a visit on %(day)s, not today (%(today)s): check in on the visit's day",
            number=order.number,
            day=planned,
            today=today.isoformat(),
        ),
        errors={"day": [str(_("the visit is on %(day)s", day=planned))]},
    )


def check_one_job_on_site(session: Session, order: Order) -> None:
    """Raise :class:`Conflict` naming both orders if the engineer is already on site at another job."""
    if order.engineer_id is None:
        return
    other = session.scalar(
        select(Order)
        .where(
            Order.engineer_id == order.engineer_id,
            Order.status == OrderStatus.ON_SITE,
            Order.id != order.id,
        )
        .order_by(Order.id)
        .limit(1)
    )
    if other is None:
        return
    raise Conflict(
        _(
            "you are still on site at order %(other)s: finish it (complete or can't finish) "
            "before checking in at order %(number)s",
            other=other.number,
            number=order.number,
        ),
        errors={"order": [str(_("already on site at %(other)s", other=other.number))]},
    )
