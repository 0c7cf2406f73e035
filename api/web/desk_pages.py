"""The agent desk (``/desk``): queues, the ticket list and the ticket view, over ``/api/v1``.

One server-rendered page and a small static script (no inline script: see the CSP). Like the
console, it logs in through the API and keeps the bearer token for the tab, so every write goes
through the same ETag / If-Match and Idempotency-Key rules as any other client.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template

bp = Blueprint(
    "desk_pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/desk",
)


@bp.get("/desk")
def desk() -> Response:
    """The desk page; agents, leads and dispatchers log in on it."""
    settings = current_app.config["DISPATCH"]
    html = render_template("desk/desk.html", time_zone=settings.default_time_zone)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk/reviews")
def reviews() -> Response:
    """An agent's own quality reviews and weekly scores (read with the desk's login of this tab)."""
    response = Response(render_template("desk/reviews.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk/quality")
def quality() -> Response:
    """The leads' quality review: draw a week's sample, score reviews, scores per agent and week."""
    response = Response(render_template("desk/quality.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk/kb")
def kb() -> Response:
    """The knowledge base editor: list, write, preview, publish articles (agents and admins)."""
    response = Response(render_template("desk/kb.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk/rubric")
def rubric() -> Response:
    """The leads' rubric editor: items with weight, critical flag and order; add, retire, put back."""
    response = Response(render_template("desk/rubric.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Serve the desk at ``/desk``."""
    app.register_blueprint(bp)
