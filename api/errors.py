"""One error payload everywhere: ``{"code", "status", "message", "errors"}``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.http import HTTP_STATUS_CODES

from dispatch.config import ConfigError
from dispatch.errors import DomainError


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
    return payload(error.status, error.message, error.errors), error.status


def _config_error(error: ConfigError) -> tuple[dict[str, Any], int]:
    return payload(500, f"the service is misconfigured: {error}"), 500


def _integrity_error(error: IntegrityError) -> tuple[dict[str, Any], int]:
    # Services check uniqueness and references first; this catches what two requests raced to do.
    return payload(
        409, "this conflicts with data saved at the same moment (a duplicate?): reload and try again"
    ), 409


def _stale_data(error: StaleDataError) -> tuple[dict[str, Any], int]:
    return payload(409, "someone else changed this at the same moment: reload it and try again"), 409


def init_app(app: Flask) -> None:
    """Register the handlers of the domain's typed errors and of races the database caught."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(StaleDataError, _stale_data)
    app.register_error_handler(ConfigError, _config_error)
