"""One error payload everywhere: ``{"code", "status", "message", "errors"}``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

from api.validation_messages import translate_errors
from dispatch.config import ConfigError
from dispatch.errors import DomainError
from dispatch.i18n import LazyText, _

log = logging.getLogger(__name__)


def payload(code: int, message: object, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the standard error body (the message in the reader's language; code and status stay)."""
    body: dict[str, Any] = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": str(message),
    }
    if errors:
        body["errors"] = errors
    return body


def _domain_error(error: DomainError) -> tuple[dict[str, Any], int]:
    errors = translate_errors(error.errors) if error.errors else None
    return payload(error.status, error.message, errors), error.status


def _config_error(error: ConfigError) -> tuple[dict[str, Any], int]:
    return payload(500, _("the service is misconfigured: %(error)s", error=error)), 500


def _integrity_error(error: IntegrityError) -> tuple[dict[str, Any], int]:
    # Services check uniqueness and references first; this catches what two requests raced to do.
    return payload(
        409, _("this conflicts with data saved at the same moment (a duplicate?): reload and try again")
    ), 409


def _stale_data(error: StaleDataError) -> tuple[dict[str, Any], int]:
    return payload(409, _("someone else changed this at the same moment: reload it and try again")), 409


def _out_of_range(error: DataError | OverflowError) -> tuple[dict[str, Any], int]:
    # The database (or its driver) refused a value the request carried: a number past its integer
    # columns, text it cannot hold. The input is at fault, and nothing was written.
    log.warning("value refused by the database: %s", error)
    return payload(422, _("A value in this request is out of the range the database can store.")), 422


def _too_large(error: RequestEntityTooLarge) -> tuple[dict[str, Any], int]:
    # Raised by the guard (with the sizes) or by Werkzeug when a chunked body passes the limit.
    message: object = error.description if error.description != RequestEntityTooLarge.description else None
    if message is None:
        limit = request.max_content_length
        message = (
            _(
                "The request body is larger than the %(limit)s bytes accepted here: send less.",
                limit=format(limit, ","),
            )
            if limit
            else _("The request body is too large: send less.")
        )
    return payload(413, message), 413


HTTP_MESSAGES: dict[int, LazyText] = {
    400: _("The request could not be understood: check how it is written."),
    401: _("You need to log in first (send a valid access token)."),
    403: _("You may not do this."),
    404: _("There is nothing at this address: check the URL."),
    406: _("This address cannot answer in a format the client accepts."),
    409: _("This clashes with the current state: reload and try again."),
    410: _("This is gone and will not come back."),
    411: _("The request needs a Content-Length header."),
    412: _("The copy you changed is not the current one: reload it and try again."),
    414: _("The address is too long."),
    415: _("This kind of request body is not accepted here: send JSON."),
    416: _("The requested range is outside what there is."),
    422: _("The request is well formed but its content is not valid."),
    428: _("This change needs an If-Match header with the current ETag: reload and try again."),
    429: _("Too many requests: wait a moment and try again."),
    431: _("The request's headers are too large."),
    500: _("Something went wrong on our side: try again in a moment."),
    501: _("This is not supported here."),
    502: _("A service this one depends on did not answer properly: try again in a moment."),
    503: _("The service is unavailable for a moment: try again shortly."),
    504: _("A service this one depends on took too long to answer: try again in a moment."),
}
"""Werkzeug's own errors (an unknown address, a wrong method...) in the reader's language."""


def http_message(error: HTTPException) -> object:
    """What an HTTP error says: the raiser's own description, else a sentence for its status."""
    description = error.description
    if description and description != type(error).description:
        return description
    code = error.code or 500
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return _(
            "This address does not accept %(method)s requests (it accepts: %(allowed)s).",
            method=request.method,
            allowed=allowed or "-",
        )
    if code in HTTP_MESSAGES:
        return HTTP_MESSAGES[code]
    return _("The request failed (HTTP %(code)s).", code=code)


def init_app(app: Flask) -> None:
    """Register the handlers of the domain's typed errors and of races the database caught."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(StaleDataError, _stale_data)
    app.register_error_handler(ConfigError, _config_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)
