"""When something goes wrong on a page, people get a page: a browser asking for an unknown page or a
page that fails sees a friendly HTML page; the API (``/api/…``) and clients asking for JSON keep the
standard JSON error payload."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from dispatch.config import Settings
from dispatch.errors import DomainError
from dispatch.i18n import N_, LazyText, _

log = logging.getLogger(__name__)

PAGES: dict[int, tuple[LazyText, LazyText]] = {
    400: (
        _("That did not work"),
        _("Something in what was sent was not right. Please go back and try again."),
    ),
    401: (_("Please log in"), _("Please log in again, then try once more.")),
    403: (
        _("This page is not for your account"),
        _("Please go back, or log in with the account this page is for."),
    ),
    404: (
        _("We cannot find that page"),
        _("The link may be old or mistyped. You can see your visits or book a new one."),
    ),
    405: (_("That did not work"), _("This page cannot be used that way. Please go back and try again.")),
    409: (
        _("That could not be done"),
        _("Things changed while you were on the page. Please go back, reload and try again."),
    ),
    413: (_("That was too large to send"), _("Please send something smaller, or fewer photos at once.")),
    422: (
        _("That could not be done"),
        _("Something in what was sent was not right. Please go back and try again."),
    ),
    429: (_("Too many tries"), _("Please wait a few minutes, then try again.")),
}
TROUBLE = (
    _("Something went wrong on our side"),
    _("Nothing was changed. Please try again in a few minutes."),
)
TROUBLE_CALL = N_("Nothing was changed. Please try again in a few minutes, or call us on %(phone)s.")


def wants_page() -> bool:
    """A request for a page: not the API, and not a client that prefers JSON."""
    if request.path.startswith("/api/"):
        return False
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) != "application/json"


def error_page(status: int) -> tuple[str, int]:
    """The friendly page of an HTTP status."""
    settings: Settings = current_app.config["DISPATCH"]
    title, text = PAGES.get(status, TROUBLE if status >= 500 else PAGES[400])
    if status >= 500 and settings.company_phone:
        text = _(TROUBLE_CALL, phone=settings.company_phone)
    html = render_template("customer/error.html", title=title, text=text, status=status, company=settings)
    return html, status


def init_app(app: Flask) -> None:
    """Put page-aware handlers in front of the JSON ones already registered (flask-smorest's and ours)."""
    handlers = app.error_handler_spec[None][None]
    json_http = handlers.get(HTTPException)
    json_domain = handlers.get(DomainError)

    def http_error(error: HTTPException) -> Any:
        if wants_page() or json_http is None:
            if (error.code or 500) >= 500:
                log.error("page %s failed", request.path, exc_info=getattr(error, "original_exception", None))
            return error_page(error.code or 500)
        return json_http(error)

    def domain_error(error: DomainError) -> Any:
        if wants_page() or json_domain is None:
            return error_page(error.status)
        return json_domain(error)

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DomainError, domain_error)
