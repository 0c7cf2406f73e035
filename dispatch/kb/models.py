"""Articles, their versions, the category tree, the searchable sections, feedback and self-service."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base, JSONType, Timestamps, enum_type, utcnow


class Visibility(StrEnum):
    """Who may read a published article."""

    PUBLIC = "public"
    INTERNAL = "internal"


class KbCategory(Timestamps, Base):
    """A node of the help centre's category tree (``Air conditioning > Leaks``)."""

    __tablename__ = "kb_categories"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_kb_categories_parent_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)


class Article(Timestamps, Base):
    """An article: its latest version is the draft being edited; ``published_number`` is what readers see."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id"), index=True)
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, "kb_visibility"), default=Visibility.PUBLIC
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_on: Mapped[date | None]
    """When someone should check that the article is still right."""
    latest_number: Mapped[int] = mapped_column(default=1)
    published_number: Mapped[int | None]
    published_at: Mapped[datetime | None]
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    """Counts every change an editor makes (the draft, publishing, visibility...): the ETag. Not
    SQLAlchemy's ``version_id_col``: a visitor's "did this help?" changes the row but no editor's copy."""


class ArticleVersion(Base):
    """One version of an article's content; a published one is never edited again."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_kb_article_versions_article_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Markdown as the author wrote it (sanitised when rendered)."""
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]


class ArticleSection(Base):
    """A part of a published article under one heading, as the search index sees it.

    ``*_words`` hold the text with Chinese split into words (jieba), readable and used for snippets;
    ``*_grams`` hold the search-mode words and overlapping Han bigrams that make 空调 match. The
    SQLite FTS5 table ``kb_search`` and PostgreSQL's GIN index are built from these columns by the
    migration (they are not part of the ORM metadata).
    """

    __tablename__ = "kb_sections"
    __table_args__ = (Index("ix_kb_sections_article_id_position", "article_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    position: Mapped[int]
    anchor: Mapped[str] = mapped_column(String(120))
    heading: Mapped[str] = mapped_column(String(200))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, "kb_section_visibility"))
    title_words: Mapped[str] = mapped_column(Text)
    title_grams: Mapped[str] = mapped_column(Text)
    body_words: Mapped[str] = mapped_column(Text)
    body_grams: Mapped[str] = mapped_column(Text)


class ArticleFeedback(Timestamps, Base):
    """A visitor's answer to "did this answer your question?" (one per visitor and article)."""

    __tablename__ = "kb_feedback"
    __table_args__ = (UniqueConstraint("article_id", "visitor", name="uq_kb_feedback_article_id_visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    visitor: Mapped[str] = mapped_column(String(64))
    """A hash of the visitor's cookie or user id, never the raw value."""
    helpful: Mapped[bool]


class SelfServiceSource(StrEnum):
    """How an article solved a question."""

    AGENT = "agent"
    """An agent closed a ticket by pointing to the article."""
    CUSTOMER = "customer"
    """A customer found the answer while writing a ticket and did not send it."""


class SelfService(Base):
    """A question an article answered (reports count these as self-service)."""

    __tablename__ = "kb_self_service"
    __table_args__ = (
        UniqueConstraint("ticket_id", name="uq_kb_self_service_ticket_id"),
        UniqueConstraint("article_id", "visitor", name="uq_kb_self_service_article_id_visitor"),
        Index("ix_kb_self_service_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    source: Mapped[SelfServiceSource] = mapped_column(enum_type(SelfServiceSource, "kb_self_service_source"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    visitor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
