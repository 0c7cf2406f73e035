"""The start page and the health check."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string
from sqlalchemy import text

from api import database

INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Field-service dispatch</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2933}
a{color:#0b5cad}li{margin:.4rem 0}code{background:#f0f4f8;padding:.1rem .3rem;border-radius:3px}</style>
</head><body>
<h1>Field-service dispatch</h1>
<p>Book home visits, plan engineers' days, follow every order.</p>
<ul>
<li><a href="/console">Dispatch console</a> (plan the day, adjust, publish)</li>
<li><a href="/book">Book a home visit</a> (customers: book, move or cancel a visit; follow it by its link)</li>
<li><a href="/api/docs">API documentation</a> (try requests in the browser)</li>
<li><a href="/api/openapi.json">OpenAPI document</a></li>
<li><a href="/healthz">Health check</a></li>
</ul>
<p>Log in with <code>POST /api/v1/auth/login</code> and send <code>Authorization: Bearer &lt;token&gt;</code>.</p>
</body></html>"""


def init_app(app: Flask) -> None:
    """Register the start page and ``/healthz``."""

    @app.get("/")
    def index() -> str:
        return render_template_string(INDEX)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, Any], int]:
        try:
            database.session().execute(text("SELECT 1"))
        except Exception as exc:  # report, do not crash: this is what monitoring reads
            return {"status": "unavailable", "database": f"{type(exc).__name__}"}, 503
        return {"status": "ok", "database": "ok"}, 200
