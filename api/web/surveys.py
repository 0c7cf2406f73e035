"""The survey link's page (``/survey/<token>``): public, phone-first, rate 1-5 with a comment, once.

Plain server-rendered forms (they work without script); the link's unguessable token is the key,
so no login and no cookie are needed. A second submit, a double click or a reused link shows that
it was already answered; an expired or mistyped link shows a friendly page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database
from dispatch.config import Settings
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.i18n import _
from dispatch.orders.models import Order
from dispatch.surveys import service as surveys
from dispatch.surveys.models import Survey
from dispatch.tickets.models import Ticket

bp = Blueprint("survey_pages", __name__, template_folder="templates")

Page = str | WerkzeugResponse | tuple[str, int]
SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {
    1: _("Very poor"),
    2: _("Poor"),
    3: _("OK"),
    4: _("Good"),
    5: _("Very good"),
}


def init_app(app: Flask) -> None:
    """Register the survey pages."""
    app.register_blueprint(bp)


@bp.context_processor
def _company() -> dict[str, Any]:
    settings: Settings = current_app.config["DISPATCH"]
    return {"company": settings}


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"customer/{template}", words=SCORE_WORDS, scores=SCORES, **context), status


def about(survey: Survey) -> tuple[str, str]:
    """The number and the name of what the survey rates (the visit's service, the ticket's subject)."""
    session = database.session()
    if survey.order_id is not None:
        order = session.get(Order, survey.order_id)
        return (order.number, order.service_type.name) if order is not None else ("", "")
    ticket = session.get(Ticket, survey.ticket_id)
    return (ticket.number, ticket.subject) if ticket is not None else ("", "")


def waiting_for(customer_id: int | None) -> list[tuple[Survey, str, str]]:
    """The customer's surveys waiting for an answer, with what each rates (for their own pages)."""
    if customer_id is None:
        return []
    return [(s, *about(s)) for s in surveys.open_for_customer(database.session(), customer_id=customer_id)]


def _open(token: str) -> Survey | tuple[str, int]:
    try:
        return surveys.by_token(database.session(), token=token)
    except surveys.Expired:
        return _render("survey_gone.html", 410)
    except NotFound:
        return _render("survey_missing.html", 404)


@bp.get("/survey/<token>")
def survey(token: str) -> Page:
    """The question, or the thanks once answered."""
    found = _open(token)
    if not isinstance(found, Survey):
        return found
    number, name = about(found)
    if found.answered:
        return _render("survey_done.html", survey=found, number=number, name=name)
    return _render("survey.html", survey=found, number=number, name=name, error=None, token=token)


@bp.post("/survey/<token>")
def answer(token: str) -> Page:
    """Record the answer, then show the thanks (a repeat shows the first answer)."""
    found = _open(token)
    if not isinstance(found, Survey):
        return found
    raw = request.form.get("score", "")
    comment = request.form.get("comment", "")
    number, name = about(found)
    try:
        surveys.answer(
            database.session(), token=token, score=int(raw) if raw.isdigit() else 0, comment=comment
        )
        database.commit()
    except Conflict:
        database.session().rollback()
        return redirect(url_for("survey_pages.survey", token=token), code=303)
    except Invalid as exc:
        database.session().rollback()
        return _render(
            "survey.html", 422, survey=found, number=number, name=name, error=str(exc), token=token
        )
    return redirect(url_for("survey_pages.survey", token=token), code=303)
