"""Security headers on every answer (pages, API, static files), set by one after-request hook.

The Content-Security-Policy lets pages run only scripts served by this site (no inline script,
no eval), talk only to this site, never be framed, and post forms only here. Styles may be inline:
the engineers' app and Leaflet build markup with style attributes. The console's map may load tiles
from the configured tile server; nothing else may load images from elsewhere. HSTS is sent only on
HTTPS answers; behind a proxy the scheme counts only when ``DISPATCH_TRUSTED_PROXIES`` says to trust
its headers (werkzeug's ProxyFix, applied in the app factory).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from dispatch.config import Settings

HSTS = "max-age=31536000; includeSubDomains"
REFERRER = "strict-origin-when-cross-origin"
"""Other sites see at most our origin, never a path (tracking links carry their key in the path)."""


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a Leaflet tile URL: ``https://{s}.tile.example.org/…`` -> ``https://*.tile.example.org``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def policy(*, images: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy, with extra image sources if given."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *images],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    settings: Settings = app.config["DISPATCH"]
    tiles = tile_source(settings.map_tile_url)
    everywhere = policy()
    console = policy(images=(tiles,)) if tiles else everywhere

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", console if request.blueprint == "console" else everywhere
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
