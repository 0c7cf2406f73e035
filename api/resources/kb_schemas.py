"""Schemas of the knowledge base and the help centre's API."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from api.fields import Id, Text, When
from dispatch.kb.models import Visibility
from dispatch.kb.service import Found, Status, status_of

TAGS = fields.List(Text(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20))


def article_url(article_id: int, anchor: str = "") -> str:
    """Where the help centre shows an article (and the section a hit is in)."""
    return url_for("help_pages.article", article_id=article_id) + (f"#{anchor}" if anchor else "")


class KbCategorySchema(Schema):
    """A node of the help centre's category tree."""

    id = Id(dump_only=True)
    parent_id = Id(allow_none=True, load_default=None)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(load_default="", validate=validate.Length(max=500))
    position = fields.Integer(load_default=0, validate=validate.Range(-1000, 1000))


class KbCategoryUpdateSchema(Schema):
    """What may change about a category."""

    parent_id = Id(allow_none=True)
    name = Text(validate=validate.Length(min=1, max=100))
    description = Text(validate=validate.Length(max=500))
    position = fields.Integer(validate=validate.Range(-1000, 1000))


class ArticleWriteSchema(Schema):
    """A new article (it starts as a draft)."""

    title = Text(required=True, validate=validate.Length(min=1, max=200))
    body = Text(load_default="", validate=validate.Length(max=100_000), metadata={"description": "Markdown"})
    tags = TAGS
    category_id = Id(allow_none=True, load_default=None)
    visibility = fields.Enum(Visibility, by_value=True, load_default=Visibility.PUBLIC)
    review_on = fields.Date(allow_none=True, load_default=None)


class ArticleUpdateSchema(Schema):
    """Changes to an article: content goes into its draft (a new version after a published one)."""

    title = Text(validate=validate.Length(min=1, max=200))
    body = Text(validate=validate.Length(max=100_000))
    tags = TAGS
    category_id = Id()
    visibility = fields.Enum(Visibility, by_value=True)
    review_on = fields.Date()


class ArticleSchema(Schema):
    """An article as the reader may see it (editors: the draft with ``?draft=true``)."""

    id = fields.Function(lambda v: v.article.id)
    title = fields.Function(lambda v: v.content.title)
    body = fields.Function(lambda v: v.content.body, metadata={"description": "Markdown as written"})
    html = fields.Function(lambda v: v.html, metadata={"description": "the body as sanitised HTML"})
    tags = fields.Function(lambda v: list(v.content.tags))
    category_id = fields.Function(lambda v: v.article.category_id)
    visibility = fields.Function(lambda v: v.article.visibility.value)
    review_on = fields.Function(lambda v: v.article.review_on.isoformat() if v.article.review_on else None)
    author_id = fields.Function(lambda v: v.article.author_id)
    shown_version = fields.Function(lambda v: v.content.number)
    latest_version = fields.Function(lambda v: v.article.latest_number)
    published_version = fields.Function(lambda v: v.article.published_number)
    helpful_yes = fields.Function(lambda v: v.article.helpful_yes)
    helpful_no = fields.Function(lambda v: v.article.helpful_no)
    url = fields.Function(lambda v: article_url(v.article.id))
    status = fields.Function(
        lambda v: status_of(v.article).value,
        metadata={"description": "draft, published, changed (a newer draft waits) or unpublished"},
    )
    version = fields.Function(
        lambda v: v.article.version, metadata={"description": 'also sent as the ETag "v<version>"'}
    )
    updated_at = fields.Function(lambda v: v.article.updated_at.isoformat())


class ArticleVersionSchema(Schema):
    """One version of an article."""

    number = fields.Integer()
    title = Text()
    body = Text()
    tags = fields.List(Text())
    author_id = fields.Integer(allow_none=True)
    created_at = When()
    published_at = When(allow_none=True)


class ArticleListQuery(Schema):
    """Which articles."""

    category_id = Id()
    drafts = fields.Boolean(load_default=False, metadata={"description": "editors: drafts too"})
    status = fields.Enum(Status, by_value=True, metadata={"description": "editors, with drafts=true"})
    visibility = fields.Enum(Visibility, by_value=True)
    title = Text(validate=validate.Length(min=1, max=200), metadata={"description": "words in the title"})


class PreviewSchema(Schema):
    """A draft's Markdown body to render."""

    body = Text(required=True, validate=validate.Length(max=100_000), metadata={"description": "Markdown"})


class PreviewResultSchema(Schema):
    """The body as readers would see it."""

    html = Text(metadata={"description": "sanitised HTML, headings with their anchors"})


class ArticleDraftQuery(Schema):
    """Editors may read the draft."""

    draft = fields.Boolean(load_default=False)


class HelpSearchQuery(Schema):
    """Words to look for (English, Chinese or both)."""

    q = Text(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=5, validate=validate.Range(1, 50))


def _snippet_html(found: Found) -> str:
    from markupsafe import escape

    from dispatch.kb.search import START, STOP

    return str(escape(found.hit.snippet)).replace(START, "<mark>").replace(STOP, "</mark>")


def _plain(snippet: str) -> str:
    from dispatch.kb.search import START, STOP

    return snippet.replace(START, "").replace(STOP, "").strip()


class SuggestionSchema(Schema):
    """An article that may answer the question, with the words found."""

    id = fields.Function(lambda f: f.view.article.id)
    title = fields.Function(lambda f: f.view.content.title)
    url = fields.Function(lambda f: article_url(f.view.article.id, f.hit.anchor))
    section = fields.Function(lambda f: f.hit.heading)
    snippet = fields.Function(lambda f: _plain(f.hit.snippet), metadata={"description": "plain text"})
    snippet_html = fields.Function(
        _snippet_html, metadata={"description": "escaped text, the words found in <mark>"}
    )


class SuggestionsSchema(Schema):
    """Suggested articles, best first."""

    items = fields.List(fields.Nested(SuggestionSchema))


class ArticleFeedbackSchema(Schema):
    """Did this answer your question?"""

    helpful = fields.Boolean(required=True)


class FeedbackResultSchema(Schema):
    """The article's counts after your answer."""

    helpful_yes = fields.Integer()
    helpful_no = fields.Integer()


class SolvedTicketSchema(Schema):
    """The ticket the article answered."""

    ticket_id = Id(required=True)


class SelfServiceSchema(Schema):
    """A question the article answered."""

    id = fields.Integer()
    article_id = fields.Integer()
    source = fields.Function(lambda s: s.source.value)
    ticket_id = fields.Integer(allow_none=True)
    created_at = When()


def values(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named keys present in ``data``."""
    return {k: data[k] for k in names if k in data}
