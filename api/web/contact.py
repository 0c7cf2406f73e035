"""The public contact form (``/contact``): anyone can write to the desk; a ticket on the web channel.

No login: the sender is recognised by email or phone like on every other channel (an unknown one
gets a contact flagged for review). Sending is rate-limited per address (Flask-Limiter, as the
logins are) and a honeypot field that people never see catches simple bots, which get the same
thank-you page and no ticket.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded

from api import database
from dispatch.access import SYSTEM
from dispatch.config import Settings
from dispatch.customers.recognition import Sender
from dispatch.errors import DomainError
from dispatch.i18n import _
from dispatch.tickets import service as tickets
from dispatch.tickets.models import TicketChannel, TicketKind

bp = Blueprint("contact", __name__, template_folder="templates")

LIMIT = "5/minute;30/hour"
"""How often one address may send the form."""
HONEYPOT = "website"
"""A field hidden from people: a value in it means a bot filled the form."""


def init_app(app: Flask) -> None:
    """Register the contact form."""
    app.register_blueprint(bp)


def limit(app: Flask, settings: Settings) -> None:
    """Put the rate limit on sending the form (after :func:`api.limits.init_app` bound the limiter)."""
    limiter: Limiter = app.extensions["dispatch.limiter"]
    endpoint = "contact.contact"
    limited: Any = limiter.limit(LIMIT, methods=["POST"], error_message="contact")
    app.view_functions[endpoint] = limited(app.view_functions[endpoint])
    others = app.error_handler_spec[None][429].get(RateLimitExceeded)  # HTTP errors are kept by code

    def too_many(error: RateLimitExceeded) -> Any:
        if request.endpoint == endpoint or others is None:
            return _too_many(error)
        return others(error)

    app.register_error_handler(RateLimitExceeded, too_many)


def _too_many(_limit: Any) -> Any:
    settings: Settings = current_app.config["DISPATCH"]
    html = render_template(
        "contact/form.html",
        company=settings,
        form=request.form,
        error=_("You have sent this form several times in a short while. Please wait a few minutes."),
    )
    return current_app.response_class(html, status=429, headers={"Retry-After": "60"})


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    settings: Settings = current_app.config["DISPATCH"]
    return render_template("contact/form.html", company=settings, **context), status


@bp.route("/contact", methods=["GET", "POST"])
def contact() -> tuple[str, int]:
    """The form; sending it opens a ticket and shows its reference."""
    if request.method == "GET":
        return _page(form={}, error=None)
    form = request.form
    settings: Settings = current_app.config["DISPATCH"]
    if form.get(HONEYPOT):
        return render_template("contact/thanks.html", company=settings, number=None), 200
    name = form.get("name", "").strip()[:200]
    email = form.get("email", "").strip()[:254] or None
    phone = form.get("phone", "").strip()[:40] or None
    if not name or not (email or phone):
        return _page(
            422, form=form, error=_("Please give your name, and an email address or a phone number.")
        )
    session = database.session()
    try:
        ticket = tickets.create(
            session,
            actor=SYSTEM,
            new=tickets.NewTicket(
                kind=TicketKind.INQUIRY,
                subject=form.get("subject", ""),
                body=form.get("body", ""),
                channel=TicketChannel.WEB_FORM,
                sender=Sender(email=email, phone=phone, name=name),
            ),
            phone_region=settings.phone_region,
        )
    except DomainError as exc:
        session.rollback()
        return _page(422, form=form, error=str(exc.message))
    number = ticket.number
    database.commit()
    return render_template("contact/thanks.html", company=settings, number=number), 201
