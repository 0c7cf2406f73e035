"""The public help centre (``/help``): categories, search with instant results, articles, "did this help?".

Phone-first pages rendered on the server (search works without script); ``help.js`` adds results as
you type and the yes/no answer, through the public ``/api/v1/help`` endpoints.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_jwt_extended import current_user, verify_jwt_in_request

from api import database
from api.resources.kb_schemas import SuggestionSchema
from dispatch.config import Settings
from dispatch.errors import DomainError
from dispatch.kb import categories, service
from dispatch.users import service as users

FRONT_PAGE_ARTICLES = 8  # per category; the category's own page lists the rest
CATEGORY_PAGE = 25
bp = Blueprint("help_pages", __name__, template_folder="templates", url_prefix="/help")


def init_app(app: Flask) -> None:
    """Register the help centre's pages."""
    app.register_blueprint(bp)


def _render(template: str, **context: Any) -> str:
    settings: Settings = current_app.config["DISPATCH"]
    return render_template(f"help/{template}", company=settings, **context)


def _reader() -> Any:
    verify_jwt_in_request(optional=True, locations=["headers"])
    return users.actor_for(current_user) if current_user else None


@bp.get("")
def home() -> str:
    """Categories with their articles, and the search box (results when ``q`` is given)."""
    session = database.session()
    query = request.args.get("q", "").strip()[:200]
    results: list[dict[str, Any]] = []
    if query:
        try:
            found = service.find(session, actor=_reader(), query=query, limit=20)
        except DomainError:
            found = []
        results = SuggestionSchema(many=True).dump(found)
    tree = categories.list_categories(session)
    by_category = service.newest_by_category(session, actor=_reader(), per_category=FRONT_PAGE_ARTICLES)
    return _render("home.html", query=query, results=results, tree=tree, by_category=by_category)


@bp.get("/categories/<int:category_id>")
def category(category_id: int) -> str:
    """Every article of one category, a page at a time, newest first."""
    session = database.session()
    try:
        shown = categories.get_or_raise(session, category_id=category_id)
    except DomainError:
        abort(404)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    found = service.list_articles(
        session, actor=_reader(), category_id=category_id, page=number, page_size=CATEGORY_PAGE
    )
    last = max(1, -(-found.total // CATEGORY_PAGE))
    return _render("category.html", category=shown, found=found, page=number, last=last)


@bp.get("/articles/<int:article_id>")
def article(article_id: int) -> str:
    """One published article with the question whether it answered yours."""
    session = database.session()
    try:
        view = service.get_or_raise(session, actor=_reader(), article_id=article_id)
    except DomainError:
        abort(404)
    category = (
        categories.get_or_raise(session, category_id=view.article.category_id)
        if view.article.category_id
        else None
    )
    return _render("article.html", view=view, category=category)
