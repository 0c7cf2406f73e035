"""The dispatch console: one page that plans, shows and publishes a day through the API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, current_app, render_template

from dispatch.demo.loader import next_working_day

STATIC = Path(__file__).resolve().parent.parent / "static"

bp = Blueprint(
    "console", __name__, url_prefix="/console", static_folder=str(STATIC), static_url_path="/static"
)


@bp.get("")
def console() -> Response:
    """The console page; it logs in and talks to ``/api/v1`` like any other client."""
    settings = current_app.config["DISPATCH"]
    today = datetime.now(ZoneInfo(settings.default_time_zone)).date()
    html = render_template(
        "console.html",
        tile_url=settings.map_tile_url,
        attribution=settings.map_attribution,
        default_day=next_working_day(today).isoformat(),
        time_zone=settings.default_time_zone,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Serve the console at ``/console``."""
    app.register_blueprint(bp)
