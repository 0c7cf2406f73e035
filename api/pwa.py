"""Serve the engineers' PWA (``mobile_pwa/``) at ``/app/``, and keep API answers out of HTTP caches."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, redirect, request, send_from_directory

import mobile_pwa

APP_DIR = Path(mobile_pwa.__file__).resolve().parent
MIME = {".webmanifest": "application/manifest+json", ".js": "text/javascript", ".mjs": "text/javascript"}


def init_app(app: Flask) -> None:
    """Register ``/app/`` and the no-store rule for ``/api/v1`` answers."""

    @app.get("/app")
    def pwa_root() -> Response:
        return redirect("/app/", code=308)  # type: ignore[return-value]

    @app.get("/app/")
    @app.get("/app/<path:filename>")
    def pwa_file(filename: str = "index.html") -> Response:
        if filename.startswith(("node_modules/", "package")) or filename.endswith(".md"):
            filename = "missing"  # only the app itself is served
        suffix = Path(filename).suffix
        response = send_from_directory(APP_DIR, filename, mimetype=MIME.get(suffix), max_age=0)
        # The service worker and the shell are revalidated every time; the service worker's cache
        # (versioned) is what makes the app work offline, not the HTTP cache.
        response.headers["Cache-Control"] = "no-cache"
        if filename == "sw.js":
            response.headers["Service-Worker-Allowed"] = "/app/"
        return response

    @app.after_request
    def no_store_api(response: Response) -> Response:
        if request.path.startswith("/api/v1/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
