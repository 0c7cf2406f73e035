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


def _page(template: str, **context: object) -> Response:
    """A staff page: rendered, never cached (each reads with this tab's desk login)."""
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk")
def desk() -> Response:
    """The desk page; agents, leads and dispatchers log in on it."""
    return _page("desk/desk.html", time_zone=current_app.config["DISPATCH"].default_time_zone)


@bp.get("/desk/reviews")
def reviews() -> Response:
    """An agent's own quality reviews and weekly scores (read with the desk's login of this tab)."""
    return _page("desk/reviews.html")


@bp.get("/desk/quality")
def quality() -> Response:
    """The leads' quality review: draw a week's sample, score reviews, scores per agent and week."""
    return _page("desk/quality.html")


@bp.get("/desk/kb")
def kb() -> Response:
    """The knowledge base editor: list, write, preview, publish articles (agents and admins)."""
    return _page("desk/kb.html")


@bp.get("/desk/rubric")
def rubric() -> Response:
    """The leads' rubric editor: items with weight, critical flag and order; add, retire, put back."""
    return _page("desk/rubric.html")


def init_app(app: Flask) -> None:
    """Serve the desk at ``/desk``."""
    app.register_blueprint(bp)
