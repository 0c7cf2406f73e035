"""The REST resources, one blueprint each."""

from __future__ import annotations

from flask_smorest import Api

from api import auth
from api.resources import (
    attachments,
    booking,
    catalog,
    complaints,
    customers,
    desk,
    engineers,
    events,
    kb,
    live_day,
    notifications,
    orders,
    plans,
    quality,
    reports,
    shifts,
    sites,
    sla,
    surveys,
    tickets,
    users,
    visits,
)


def register(api: Api) -> None:
    """Register every blueprint with the API."""
    for blp in (
        auth.blp,
        users.blp,
        customers.blp,
        sites.blp,
        catalog.skills,
        catalog.service_types,
        engineers.teams,
        engineers.blp,
        shifts.blp,
        orders.blp,
        plans.blp,
        live_day.blp,
        events.blp,
        attachments.blp,
        visits.blp,
        booking.slots_blp,
        booking.bookings_blp,
        booking.tracking_blp,
        tickets.blp,
        desk.teams_blp,
        desk.agents_blp,
        desk.rules_blp,
        desk.categories_blp,
        desk.contacts_blp,
        sla.calendars_blp,
        sla.policies_blp,
        sla.clocks_blp,
        surveys.surveys_blp,
        surveys.links_blp,
        notifications.notifications_blp,
        notifications.webhooks_blp,
        notifications.mail_blp,
        kb.kb_blp,
        kb.help_blp,
        reports.blp,
        complaints.blp,
        complaints.causes_blp,
        quality.blp,
    ):
        api.register_blueprint(blp)
