"""The application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dispatch.config import Settings
from dispatch.sites.geocoding import Geocoder, NominatimGeocoder


def create_app(test_config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Build the app from ``DISPATCH_*`` settings, with optional overrides for tests."""
    if isinstance(test_config, Settings):
        settings = test_config
    else:
        settings = Settings.from_env(os.environ)
        if test_config:
            settings = settings.with_overrides(test_config)
    settings = settings.finalized()

    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DISPATCH=settings,
        TESTING=settings.env == "test",
        JSON_SORT_KEYS=False,
    )
    if settings.trusted_proxies > 0:
        # Behind that many proxies: the client's address, scheme and host come from their X-Forwarded-* headers.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    from api import (
        auth,
        database,
        desk,
        errors,
        guards,
        i18n,
        limits,
        notifications,
        openapi,
        pages,
        pwa,
        resources,
        security,
        worker,
    )
    from api.web import console, contact, desk_pages, help_centre, portal, reports_pages, surveys
    from api.web import customer as customer_pages

    guards.init_app(app, settings)
    database.init_app(app, settings)
    i18n.init_app(app, settings)
    app.extensions["dispatch.geocoder"] = geocoder_for(settings)
    api = openapi.init_app(app)
    auth.init_app(app, settings)
    errors.init_app(app)
    resources.register(api)
    pages.init_app(app)
    console.init_app(app)
    customer_pages.init_app(app)
    desk_pages.init_app(app)
    reports_pages.init_app(app)
    portal.init_app(app)
    contact.init_app(app)
    help_centre.init_app(app)
    surveys.init_app(app)
    worker.init_app(app, settings)
    desk.init_app(app)
    resources.sla.init_app(app)
    notifications.init_app(app, settings)
    pwa.init_app(app)
    security.init_app(app)
    limits.init_app(app, settings)  # after the views it limits are registered
    contact.limit(app, settings)
    return app


def geocoder_for(settings: Settings) -> Geocoder | None:
    """The Nominatim-protocol geocoder at the configured domain, or None if none is set."""
    if not settings.geocoder_domain:
        return None
    return NominatimGeocoder(
        domain=settings.geocoder_domain,
        scheme=settings.geocoder_scheme,
        user_agent=settings.geocoder_user_agent,
        timeout_s=settings.geocoder_timeout_s,
        country_codes=settings.geocoder_country_codes,
    )
