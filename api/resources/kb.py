"""The knowledge base: editors write and publish (``/api/v1/kb``); anyone reads and searches (``/api/v1/help``)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, request, url_for
from flask.wrappers import Response
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from api import database
from api.auth import actor
from api.common import IF_MATCH_DOC, blueprint, etag, if_match, page_items, paging
from api.database import View
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import PARAMETER as IDEMPOTENCY_PARAMETER
from api.idempotency import idempotent
from api.resources.kb_schemas import (
    ArticleDraftQuery,
    ArticleFeedbackSchema,
    ArticleListQuery,
    ArticleSchema,
    ArticleUpdateSchema,
    ArticleVersionSchema,
    ArticleWriteSchema,
    FeedbackResultSchema,
    HelpSearchQuery,
    KbCategorySchema,
    KbCategoryUpdateSchema,
    PreviewResultSchema,
    PreviewSchema,
    SelfServiceSchema,
    SolvedTicketSchema,
    SuggestionsSchema,
    values,
)
from dispatch.access import Actor
from dispatch.config import Settings
from dispatch.kb import categories, feedback
from dispatch.kb import service as kb
from dispatch.kb.models import ArticleVersion, KbCategory, SelfService
from dispatch.users import service as users

kb_blp = blueprint("kb", "/kb", "Knowledge base: agents and admins write, version and publish articles")
help_blp = Blueprint(
    "help",
    __name__,
    url_prefix="/api/v1/help",
    description="The help centre: published articles for everyone",
)
VISITOR_COOKIE = "kb_visitor"
FIELDS = ("title", "body", "tags", "category_id", "visibility", "review_on")
WRITE_DOC = {"parameters": [*IF_MATCH_DOC["parameters"], IDEMPOTENCY_PARAMETER]}
Reply = tuple[kb.ArticleView, int, dict[str, str]]


def _reply(view: kb.ArticleView, status: int = 200, **headers: str) -> Reply:
    return view, status, {"ETag": etag(view.article.version), **headers}


@help_blp.before_request
def _maybe_logged_in() -> None:
    """Staff with a token also find internal articles; everyone else reads public ones."""
    verify_jwt_in_request(optional=True)


def reader() -> Actor | None:
    """The logged-in reader, or None for a visitor."""
    return users.actor_for(current_user) if current_user else None


def visitor() -> str:
    """Who answers "did this help?": the user, or a cookie given on the first answer."""
    settings: Settings = current_app.config["DISPATCH"]
    if current_user:
        raw = f"user:{current_user.id}"
    else:
        cookie = request.cookies.get(VISITOR_COOKIE, "")
        if not (16 <= len(cookie) <= 64 and cookie.replace("-", "").isalnum()):
            cookie = str(uuid.uuid4())
            g.kb_new_visitor = cookie
        raw = f"cookie:{cookie}"
    return feedback.visitor_key(raw, secret=settings.secret_key)


@help_blp.after_request
def _give_cookie(response: Response) -> Response:
    cookie = g.pop("kb_new_visitor", None)
    if cookie:
        response.set_cookie(
            VISITOR_COOKIE,
            cookie,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


# --- editors ------------------------------------------------------------------------------------


@kb_blp.route("/articles")
class Articles(View):
    """Articles, drafts included."""

    @kb_blp.arguments(ArticleListQuery, location="query")
    @kb_blp.response(200, ArticleSchema(many=True))
    @kb_blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[kb.ArticleView]:
        """Articles newest first; ``drafts=true`` shows editors the latest version of each."""
        result = kb.list_articles(
            database.session(),
            actor=actor(),
            category_id=args.get("category_id"),
            include_drafts=args["drafts"],
            status=args.get("status"),
            visibility=args.get("visibility"),
            title=args.get("title"),
            **paging(pagination_parameters),
        )
        return page_items(result, pagination_parameters)

    @idempotent
    @kb_blp.arguments(ArticleWriteSchema)
    @kb_blp.response(201, ArticleSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins write articles")
    @kb_blp.alt_response(422, schema=ErrorSchema, description="Unknown category or bad fields")
    @kb_blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]) -> Reply:
        """Write an article; it is a draft until published (its ETag and Location come in the header)."""
        session = database.session()
        article = kb.create(session, actor=actor(), draft=kb.Draft(**values(data, *FIELDS)))
        view = kb.get_or_raise(session, actor=actor(), article_id=article.id, draft=True)
        return _reply(view, 201, Location=url_for("kb.ArticleById", article_id=article.id))


@kb_blp.route("/preview")
class ArticlePreview(View):
    """A draft as readers would see it."""

    @kb_blp.arguments(PreviewSchema)
    @kb_blp.response(200, PreviewResultSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins")
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Render Markdown with the help centre's own sanitised renderer (nothing is saved)."""
        return {"html": kb.preview(actor=actor(), body=data["body"])}


@kb_blp.route("/articles/<id:article_id>")
class ArticleById(View):
    """One article."""

    @kb_blp.arguments(ArticleDraftQuery, location="query")
    @kb_blp.response(200, ArticleSchema)
    @kb_blp.alt_response(404, schema=ErrorSchema, description="No such article, or not published")
    def get(self, args: dict[str, Any], article_id: int) -> Reply:
        """Read the published version (``draft=true``: editors read the latest); the ETag comes in the header."""
        return _reply(
            kb.get_or_raise(database.session(), actor=actor(), article_id=article_id, draft=args["draft"])
        )

    @kb_blp.arguments(ArticleUpdateSchema)
    @kb_blp.response(200, ArticleSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins edit articles")
    @kb_blp.alt_response(404, schema=ErrorSchema, description="No such article")
    @kb_blp.alt_response(412, schema=ErrorSchema, description="Someone else changed it since you read it")
    @kb_blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @kb_blp.doc(**IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], article_id: int) -> Reply:
        """Edit the draft (after a publish this starts the next version); readers see no change until published."""
        session = database.session()
        kb.update(
            session,
            actor=actor(),
            article_id=article_id,
            draft=kb.Draft(**values(data, *FIELDS)),
            expected_version=if_match(),
        )
        return _reply(kb.get_or_raise(session, actor=actor(), article_id=article_id, draft=True))


@kb_blp.route("/articles/<id:article_id>/publish")
class ArticlePublish(View):
    """Publish the draft."""

    @idempotent
    @kb_blp.response(200, ArticleSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins publish")
    @kb_blp.alt_response(409, schema=ErrorSchema, description="The latest version is already published")
    @kb_blp.alt_response(412, schema=ErrorSchema, description="Someone else changed it since you read it")
    @kb_blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @kb_blp.doc(**WRITE_DOC)
    def post(self, article_id: int) -> Reply:
        """Make the draft what readers see and find (the answer shows the latest version, now published)."""
        session = database.session()
        kb.publish(session, actor=actor(), article_id=article_id, expected_version=if_match())
        return _reply(kb.get_or_raise(session, actor=actor(), article_id=article_id, draft=True))


@kb_blp.route("/articles/<id:article_id>/unpublish")
class ArticleUnpublish(View):
    """Take an article off the help centre."""

    @idempotent
    @kb_blp.response(200, ArticleSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins unpublish")
    @kb_blp.alt_response(409, schema=ErrorSchema, description="The article is not published")
    @kb_blp.alt_response(412, schema=ErrorSchema, description="Someone else changed it since you read it")
    @kb_blp.alt_response(428, schema=ErrorSchema, description="If-Match missing")
    @kb_blp.doc(**WRITE_DOC)
    def post(self, article_id: int) -> Reply:
        """Readers no longer see or find it; its versions stay."""
        session = database.session()
        kb.unpublish(session, actor=actor(), article_id=article_id, expected_version=if_match())
        return _reply(kb.get_or_raise(session, actor=actor(), article_id=article_id, draft=True))


@kb_blp.route("/articles/<id:article_id>/versions")
class ArticleVersions(View):
    """An article's history."""

    @kb_blp.response(200, ArticleVersionSchema(many=True))
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins")
    def get(self, article_id: int) -> list[ArticleVersion]:
        """Every version, newest first."""
        return kb.versions(database.session(), actor=actor(), article_id=article_id)


@kb_blp.route("/articles/<id:article_id>/solved-tickets")
class ArticleSolvedTickets(View):
    """Tickets the article answered (they count as self-service)."""

    @kb_blp.arguments(SolvedTicketSchema)
    @kb_blp.response(201, SelfServiceSchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins")
    @kb_blp.alt_response(409, schema=ErrorSchema, description="The ticket is marked with another article")
    def post(self, data: dict[str, Any], article_id: int) -> SelfService:
        """Say that this article solved a ticket (asking twice records it once)."""
        return feedback.solved_ticket(
            database.session(), actor=actor(), article_id=article_id, ticket_id=data["ticket_id"]
        )


@kb_blp.route("/categories")
class Categories(View):
    """Add to the category tree."""

    @kb_blp.arguments(KbCategorySchema)
    @kb_blp.response(201, KbCategorySchema)
    @kb_blp.alt_response(403, schema=ErrorSchema, description="Only agents and admins")
    @kb_blp.alt_response(409, schema=ErrorSchema, description="Same name under the same parent")
    def post(self, data: dict[str, Any]) -> KbCategory:
        """Add a category."""
        return categories.create(database.session(), actor=actor(), **data)


@kb_blp.route("/categories/<id:category_id>")
class CategoryById(View):
    """One category."""

    @kb_blp.arguments(KbCategoryUpdateSchema)
    @kb_blp.response(200, KbCategorySchema)
    @kb_blp.alt_response(404, schema=ErrorSchema, description="No such category")
    @kb_blp.alt_response(422, schema=ErrorSchema, description="A loop or too deep")
    def patch(self, data: dict[str, Any], category_id: int) -> KbCategory:
        """Rename, move or describe a category."""
        return categories.update(database.session(), actor=actor(), category_id=category_id, changes=data)

    @kb_blp.response(204)
    @kb_blp.alt_response(409, schema=ErrorSchema, description="Not empty")
    def delete(self, category_id: int) -> None:
        """Remove an empty category."""
        categories.delete(database.session(), actor=actor(), category_id=category_id)


# --- everyone -----------------------------------------------------------------------------------


@help_blp.route("/categories")
class PublicCategories(View):
    """The category tree."""

    @help_blp.response(200, KbCategorySchema(many=True))
    def get(self) -> list[KbCategory]:
        """Every category, parents before children."""
        return categories.list_categories(database.session())


@help_blp.route("/articles")
class PublicArticles(View):
    """Published articles."""

    @help_blp.arguments(ArticleListQuery, location="query")
    @help_blp.response(200, ArticleSchema(many=True))
    @help_blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[kb.ArticleView]:
        """Published articles you may read, newest first."""
        result = kb.list_articles(
            database.session(),
            actor=reader(),
            category_id=args.get("category_id"),
            **paging(pagination_parameters),
        )
        return page_items(result, pagination_parameters)


@help_blp.route("/articles/<id:article_id>")
class PublicArticle(View):
    """One published article."""

    @help_blp.response(200, ArticleSchema)
    @help_blp.alt_response(404, schema=ErrorSchema, description="No such published article")
    def get(self, article_id: int) -> kb.ArticleView:
        """Read a published article."""
        return kb.get_or_raise(database.session(), actor=reader(), article_id=article_id)


@help_blp.route("/suggest")
class Suggest(View):
    """Articles that may answer a question while it is being written."""

    @help_blp.arguments(HelpSearchQuery, location="query")
    @help_blp.response(200, SuggestionsSchema)
    @help_blp.alt_response(422, schema=ErrorSchema, description="No words, or too many")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search published articles (internal ones too for staff), best first, with snippets."""
        return {"items": kb.find(database.session(), actor=reader(), query=args["q"], limit=args["limit"])}


@help_blp.route("/articles/<id:article_id>/feedback")
class Feedback(View):
    """Did this answer your question?"""

    @help_blp.arguments(ArticleFeedbackSchema)
    @help_blp.response(200, FeedbackResultSchema)
    @help_blp.alt_response(404, schema=ErrorSchema, description="No such published article")
    def post(self, data: dict[str, Any], article_id: int) -> Any:
        """Record your answer (once per visitor: answering again changes it)."""
        return feedback.answer(
            database.session(),
            actor=reader(),
            article_id=article_id,
            visitor=visitor(),
            helpful=data["helpful"],
        )


@help_blp.route("/articles/<id:article_id>/answered")
class Answered(View):
    """A customer found the answer while writing a ticket and will not send it."""

    @help_blp.response(201, SelfServiceSchema)
    @help_blp.alt_response(404, schema=ErrorSchema, description="No such published article")
    def post(self, article_id: int) -> SelfService:
        """Count a question the article answered (once per visitor and article)."""
        return feedback.solved_by_customer(
            database.session(), actor=reader(), article_id=article_id, visitor=visitor()
        )
