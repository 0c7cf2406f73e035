"""The report pages (``/reports``): figures as charts and tables for team leads and managers, over ``/api/v1``.

One server-rendered page, a small static script and the vendored Chart.js (no inline script: see the
CSP). Like the desk, it logs in through the API and keeps the bearer token for the tab.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, current_app, render_template

STATIC = Path(__file__).resolve().parent.parent / "static"
"""``api/static``: the page's script and style beside the vendored Chart.js (``vendor/chartjs``)."""

bp = Blueprint(
    "reports_pages",
    __name__,
    template_folder="templates",
    static_folder=str(STATIC),
    static_url_path="/static/reports",
)


@bp.get("/reports")
def reports() -> Response:
    """The reports page; leads, managers and dispatchers log in on it."""
    settings = current_app.config["DISPATCH"]
    yesterday = datetime.now(ZoneInfo(settings.default_time_zone)).date() - timedelta(days=1)
    html = render_template(
        "reports/reports.html",
        time_zone=settings.default_time_zone,
        default_to=yesterday.isoformat(),
        default_from=(yesterday - timedelta(days=29)).isoformat(),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Serve the report pages at ``/reports``."""
    app.register_blueprint(bp)
