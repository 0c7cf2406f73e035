"""The demo's business calendars and SLA policies: a Manchester office calendar with England's bank
holidays, a Shanghai one with mainland China's holidays and make-up working days (调休), and three
policies (VIP and key accounts faster, urgent faults, a standard catch-all), so the desk shows clocks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import SYSTEM
from dispatch.calendars import service as calendars
from dispatch.customers.models import Customer, CustomerTier
from dispatch.orders.models import Priority
from dispatch.routing.models import DeskTeam
from dispatch.sla import policies
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketChannel, TicketKind

HOUR = 3600
OFFICE = [["08:30", "12:00"], ["13:00", "18:00"]]
SHANGHAI = [["09:00", "12:00"], ["13:00", "18:00"]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
POLICY_NAMES = {
    "manchester": ("VIP and key accounts", "Urgent and high faults", "Standard"),
    "shanghai": ("VIP和重点客户", "紧急和高优先级故障", "标准"),
}
"""The three policies' names, by the office whose calendar they count in."""


def load(session: Session, *, today: datetime | None = None, office: str = "manchester") -> dict[str, int]:
    """Calendars (seeded for this year and the next), policies on the ``office``'s calendar (its
    names in the office's language), and clocks on the open tickets."""
    year = (today or datetime.now(ZoneInfo("Europe/London"))).year
    manchester = calendars.create(
        session,
        actor=SYSTEM,
        name="Manchester office",
        time_zone="Europe/London",
        week=dict.fromkeys(WEEKDAYS, OFFICE),
        description="Monday to Friday 08:30-12:00 and 13:00-18:00; England's bank holidays",
    )
    calendars.seed_days(
        session,
        actor=SYSTEM,
        calendar_id=manchester.id,
        expected_version=None,
        source="holidays",
        country="GB",
        subdiv="ENG",
        from_year=year,
        to_year=year + 1,
    )
    shanghai = calendars.create(
        session,
        actor=SYSTEM,
        name="Shanghai office",
        time_zone="Asia/Shanghai",
        week=dict.fromkeys(WEEKDAYS, SHANGHAI),
        description="Monday to Friday 09:00-12:00 and 13:00-18:00; mainland China holidays and make-up days (调休)",
    )
    calendars.seed_days(
        session,
        actor=SYSTEM,
        calendar_id=shanghai.id,
        expected_version=None,
        source="chinese_calendar",
        from_year=year,
        to_year=year + 1,
    )
    counted = {"manchester": manchester.id, "shanghai": shanghai.id}[office]
    vip_name, urgent_name, standard_name = POLICY_NAMES[office]
    second = session.scalar(select(DeskTeam).where(DeskTeam.code.in_(["second-line", "second"])).limit(1))
    ola = [{"team_id": second.id, "target_s": 4 * HOUR}] if second is not None else []
    vip = policies.create(
        session,
        actor=SYSTEM,
        name=vip_name,
        condition={"field": "tier", "in": ["vip", "key_account"]},
        calendar_id=counted,
        first_response_s=HOUR,
        next_response_s=2 * HOUR,
        resolution_s=8 * HOUR,
        ola_targets=ola,
        pause_on_hold=True,
        escalations=[
            {"on": "warning", "action": "notify_lead"},
            {"on": "breach", "action": "notify_lead"},
            {"on": "breach", "clock": "resolution", "action": "raise_priority"},
        ],
    )
    urgent = policies.create(
        session,
        actor=SYSTEM,
        name=urgent_name,
        condition={
            "all": [{"field": "priority", "in": ["urgent", "high"]}, {"field": "kind", "in": ["fault"]}]
        },
        calendar_id=counted,
        first_response_s=2 * HOUR,
        next_response_s=4 * HOUR,
        resolution_s=16 * HOUR,
        ola_targets=ola,
        escalations=[{"on": "warning", "action": "notify_lead"}, {"on": "breach", "action": "notify_lead"}],
    )
    standard = policies.create(
        session,
        actor=SYSTEM,
        name=standard_name,
        condition={},
        calendar_id=counted,
        first_response_s=4 * HOUR,
        next_response_s=8 * HOUR,
        resolution_s=3 * 8 * HOUR + 3 * HOUR // 2,  # three office days of 8.5 hours
        escalations=[{"on": "breach", "action": "notify_lead"}],
    )
    if session.scalar(select(Ticket.id).limit(1)) is None:
        _open_tickets(session)
    policies.apply_to_open(session)
    return {
        "manchester": manchester.id,
        "shanghai": shanghai.id,
        "vip": vip.id,
        "urgent": urgent.id,
        "standard": standard.id,
    }


def _open_tickets(session: Session) -> None:
    """A few tickets to time when the desk's demo has opened none."""
    customers = list(session.scalars(select(Customer).order_by(Customer.id).limit(200)))
    special = next((c for c in customers if c.tier is not CustomerTier.STANDARD), customers[0])
    plain = [c for c in customers if c.tier is CustomerTier.STANDARD][:2] or customers[:2]
    for customer, kind, priority, subject, body in (
        (
            special,
            TicketKind.FAULT,
            Priority.NORMAL,
            "Boiler shows F28",
            "No heating or hot water since 7am.",
        ),
        (
            plain[0],
            TicketKind.FAULT,
            Priority.URGENT,
            "Smell of gas near the meter",
            "We opened the windows.",
        ),
        (plain[-1], TicketKind.INQUIRY, Priority.NORMAL, "Annual service price", "How much is a service?"),
    ):
        new = tickets.NewTicket(
            kind=kind,
            subject=subject,
            body=body,
            channel=TicketChannel.PHONE,
            customer_id=customer.id,
            priority=priority,
        )
        tickets.create(session, actor=SYSTEM, new=new)
