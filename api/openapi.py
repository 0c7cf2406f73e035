"""flask-smorest: the OpenAPI document and the API docs page, served with no internet access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api as SmorestApi
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from api.errors import http_message
from api.fields import IdConverter, id_converter_schema
from api.validation_messages import translate_errors
from dispatch.i18n import _

API_TITLE = "Field-service dispatch API"
API_VERSION = "v1"
SWAGGER_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
STATIC = Path(__file__).resolve().parent / "static"


class Api(SmorestApi):  # type: ignore[misc]
    """flask-smorest's Api whose error payload always says what went wrong."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Fill ``message`` from the exception's description when the raiser gave none."""
        body, code, headers = super().handle_http_exception(error)
        data = getattr(error, "data", None) or {}
        cause = getattr(error, "exc", None)
        if code == 400 and isinstance(cause, ValueError):
            body["message"] = str(_("the request body is not valid JSON (%(cause)s)", cause=cause))
        elif code == 422 and "message" not in data:
            fields = sorted({name for where in body.get("errors", {}).values() for name in where})
            body["message"] = str(_("invalid input in: %(fields)s (see errors)", fields=", ".join(fields)))
        if "errors" in body:
            body["errors"] = translate_errors(body["errors"])
        if "message" in body:
            body["message"] = str(body["message"])
        if "message" not in body:
            # Werkzeug's own sentences (404, 405...) are English: say them in the reader's language.
            body["message"] = str(http_message(error))
        return body, code, headers


def init_app(app: Flask) -> Api:
    """Configure and bind flask-smorest; the docs page loads Swagger UI from this server."""
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        OPENAPI_SWAGGER_UI_CONFIG={"persistAuthorization": True, "displayRequestDuration": True},
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Book home visits, plan engineers' days and follow every order through its life. "
                    "Log in at POST /api/v1/auth/login and send the access token as "
                    "`Authorization: Bearer <token>`. Orders carry an ETag; writes need If-Match."
                )
            },
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
    )
    app.url_map.converters["id"] = IdConverter
    api = Api(app)
    api.register_converter(IdConverter, id_converter_schema)

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(SWAGGER_ASSETS, filename, max_age=86400)

    @app.get("/api/docs/start.js", endpoint="api_docs_start")
    def swagger_start() -> Response:
        # Starts Swagger UI from a file (templates/swagger_ui.html): the CSP runs no inline script.
        return send_from_directory(STATIC, "api-docs.js", max_age=0)

    return api
