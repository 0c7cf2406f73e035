"""What the customer pages say when a step cannot be done: plain sentences, the company's phone number
where calling is the way out, and never a setting's or a field's name.

The API keeps its precise messages for developers; these are for the person booking a visit, in their
language (each sentence is a whole catalog entry, so translators see it complete).
"""

from __future__ import annotations

from dispatch.config import Settings
from dispatch.errors import Conflict, DomainError, Invalid, NotFound
from dispatch.i18n import LazyText, _
from dispatch.sites.geocoding import GeocodingFailed


def _call(settings: Settings, with_phone: LazyText, without_phone: LazyText) -> str:
    """The sentence that names the company's number when one is configured (``%(phone)s``)."""
    if settings.company_phone:
        with_phone.params["phone"] = settings.company_phone
        return str(with_phone)
    return str(without_phone)


def for_customers(error: DomainError, *, settings: Settings, can_look_up_addresses: bool) -> str:
    """A customer's sentence for a refusal of the booking service."""
    fields = set(error.errors or {})
    if isinstance(error, GeocodingFailed):
        if not can_look_up_addresses:
            return _call(
                settings,
                _(
                    "We cannot look up new addresses online at the moment. "
                    "Please choose one of your saved addresses, or call us on %(phone)s to book."
                ),
                _(
                    "We cannot look up new addresses online at the moment. "
                    "Please choose one of your saved addresses, or call us to book."
                ),
            )
        return str(
            _(
                "We could not find that address. Please check it and add the postcode, "
                "or choose one of your saved addresses."
            )
        )
    if "deadline" in fields:
        hours = settings.booking_change_hours
        return _call(
            settings,
            _(
                "This visit can no longer be changed online: changes close %(hours)s hours before the visit. "
                "Please call us on %(phone)s and we will sort it out.",
                hours=hours,
            ),
            _(
                "This visit can no longer be changed online: changes close %(hours)s hours before the visit. "
                "Please call us and we will sort it out.",
                hours=hours,
            ),
        )
    if "status" in fields and isinstance(error, Conflict):
        return _call(
            settings,
            _(
                "This visit is already under way or finished, so it cannot be changed online. "
                "Please call us on %(phone)s if something is wrong."
            ),
            _(
                "This visit is already under way or finished, so it cannot be changed online. "
                "Please call us if something is wrong."
            ),
        )
    if "day" in fields:
        if any("past" in _source(m) for m in (error.errors or {}).get("day", [])):
            return str(_("That day has passed. Please choose today or a later day."))
        return str(
            _(
                "We take bookings up to %(days)s days ahead. Please choose an earlier day.",
                days=settings.booking_days_ahead,
            )
        )
    if "window" in fields:
        return str(_("That time is not free any more. Please choose one of the free times."))
    if "service_type_id" in fields:
        return _call(
            settings,
            _("That service cannot be booked online. Please choose another one, or call us on %(phone)s."),
            _("That service cannot be booked online. Please choose another one, or call us."),
        )
    if fields & {"address", "latitude", "longitude"}:
        return str(_("Please type the address of the visit, or choose one of your saved addresses."))
    if isinstance(error, NotFound):
        return str(
            _("We cannot find that in your account. Please choose one of your visits or saved addresses.")
        )
    if isinstance(error, Invalid):
        return str(_("Something in the form was not right. Please check it and try again."))
    return _call(
        settings,
        _("We could not do that. Please try again, or call us on %(phone)s."),
        _("We could not do that. Please try again, or call us."),
    )


def _source(message: object) -> str:
    """A field error in the source language (it is matched on words, whatever the reader's language)."""
    return message.source() if isinstance(message, LazyText) else str(message)
