"""What the customer pages say when a step cannot be done: plain sentences, the company's phone number
where calling is the way out, and never a setting's or a field's name.

The API keeps its precise messages for developers; these are for the person booking a visit.
"""

from __future__ import annotations

from dispatch.config import Settings
from dispatch.errors import Conflict, DomainError, Invalid, NotFound
from dispatch.sites.geocoding import GeocodingFailed


def _call(settings: Settings, with_phone: str, without_phone: str, **values: object) -> str:
    """The sentence that names the company's number when one is configured (each a whole sentence)."""
    if settings.company_phone:
        return with_phone.format(phone=settings.company_phone, **values)
    return without_phone.format(**values)


def for_customers(error: DomainError, *, settings: Settings, can_look_up_addresses: bool) -> str:
    """A customer's sentence for a refusal of the booking service."""
    fields = set(error.errors or {})
    if isinstance(error, GeocodingFailed):
        if not can_look_up_addresses:
            return _call(
                settings,
                "We cannot look up new addresses online at the moment. "
                "Please choose one of your saved addresses, or call us on {phone} to book.",
                "We cannot look up new addresses online at the moment. "
                "Please choose one of your saved addresses, or call us to book.",
            )
        return (
            "We could not find that address. Please check it and add the postcode, "
            "or choose one of your saved addresses."
        )
    if "deadline" in fields:
        return _call(
            settings,
            "This visit can no longer be changed online: changes close {hours} hours before the visit. "
            "Please call us on {phone} and we will sort it out.",
            "This visit can no longer be changed online: changes close {hours} hours before the visit. "
            "Please call us and we will sort it out.",
            hours=settings.booking_change_hours,
        )
    if "status" in fields and isinstance(error, Conflict):
        return _call(
            settings,
            "This visit is already under way or finished, so it cannot be changed online. "
            "Please call us on {phone} if something is wrong.",
            "This visit is already under way or finished, so it cannot be changed online. "
            "Please call us if something is wrong.",
        )
    if "day" in fields:
        if any("past" in str(m) for m in (error.errors or {}).get("day", [])):
            return "That day has passed. Please choose today or a later day."
        # A literal with a placeholder, not an f-string: the sentence will go through gettext.
        ahead = "We take bookings up to {days} days ahead. Please choose an earlier day."
        return ahead.format(days=settings.booking_days_ahead)
    if "window" in fields:
        return "That time is not free any more. Please choose one of the free times."
    if "service_type_id" in fields:
        return _call(
            settings,
            "That service cannot be booked online. Please choose another one, or call us on {phone}.",
            "That service cannot be booked online. Please choose another one, or call us.",
        )
    if fields & {"address", "latitude", "longitude"}:
        return "Please type the address of the visit, or choose one of your saved addresses."
    if isinstance(error, NotFound):
        return "We cannot find that in your account. Please choose one of your visits or saved addresses."
    if isinstance(error, Invalid):
        return "Something in the form was not right. Please check it and try again."
    return _call(
        settings,
        "We could not do that. Please try again, or call us on {phone}.",
        "We could not do that. Please try again, or call us.",
    )
