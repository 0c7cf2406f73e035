"""Articles: write drafts, publish versions, read what a reader may see, and rebuild the search sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import Select, delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Conflict, DomainError, Invalid, NotFound, StaleVersion
from dispatch.i18n import _
from dispatch.kb import search as kbsearch
from dispatch.kb import text as kbtext
from dispatch.kb.models import Article, ArticleSection, ArticleVersion, KbCategory, Visibility
from dispatch.listing import Page, paginate

EDITORS = frozenset({Role.ADMIN, Role.AGENT})
MAX_TAGS = 20


class Status(StrEnum):
    """Where an article stands for its editors."""

    DRAFT = "draft"
    """Never published: readers do not see it."""
    PUBLISHED = "published"
    """Readers see its latest version."""
    CHANGED = "changed"
    """Published, and a newer draft waits to be published (readers see the older version)."""
    UNPUBLISHED = "unpublished"
    """Was published, then taken off the help centre."""


def status_of(article: Article) -> Status:
    """The article's status for its editors."""
    if article.published_number is None:
        return Status.UNPUBLISHED if article.published_at is not None else Status.DRAFT
    if article.published_number == article.latest_number:
        return Status.PUBLISHED
    return Status.CHANGED


class ArticleChanged(StaleVersion):
    """Someone else saved the article after the editor read it (HTTP 412)."""

    def __init__(self, title: str, expected: int, actual: int) -> None:
        DomainError.__init__(
            self,
            _(
                "Someone else changed the article “%(title)s” since you opened it: "
                "reload it and make your change again.",
                title=title,
            ),
            errors={"expected_version": expected, "current_version": actual},
        )


def _claim(session: Session, article: Article, expected_version: int | None, title: str) -> None:
    """Move the article to its next version if the editor's copy is the current one (If-Match).

    One conditional UPDATE: of two editors who read the same version, the second is refused even
    when both check at the same moment.
    """
    current = article.version
    if expected_version is not None and expected_version != current:
        raise ArticleChanged(title, expected_version, current)
    result = session.execute(
        sql_update(Article)
        .where(Article.id == article.id, Article.version == current)
        .values(version=current + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        session.refresh(article)
        raise ArticleChanged(title, current, article.version)
    session.refresh(article, ["version"])


@dataclass(frozen=True)
class Draft:
    """What an editor writes: a new article or changes to one (None leaves a field as it is)."""

    title: str | None = None
    body: str | None = None
    tags: Sequence[str] | None = None
    category_id: int | None = None
    visibility: Visibility | None = None
    review_on: date | None = None


@dataclass(frozen=True)
class ArticleView:
    """An article as one reader sees it: the published version, or for editors the draft if asked."""

    article: Article
    content: ArticleVersion

    @property
    def html(self) -> str:
        """The body as safe HTML, headings carrying the anchors search results point to."""
        return kbtext.heading_ids(kbtext.render(self.content.body), self.content.body)


def visibilities(actor: Actor | None) -> frozenset[Visibility]:
    """What a reader may find: everyone public articles, staff internal ones too."""
    if actor is not None and actor.role in STAFF:
        return frozenset(Visibility)
    return frozenset({Visibility.PUBLIC})


def _check_category(session: Session, category_id: int | None) -> None:
    if category_id is not None and session.get(KbCategory, category_id) is None:
        raise Invalid(
            _("category %(id)s does not exist", id=category_id), errors={"category_id": ["no such category"]}
        )


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS:
        raise Invalid(_("an article has at most %(n)s tags", n=MAX_TAGS), errors={"tags": ["too many"]})
    return cleaned


def _version(session: Session, article: Article, number: int) -> ArticleVersion:
    found = session.scalar(
        select(ArticleVersion).where(ArticleVersion.article_id == article.id, ArticleVersion.number == number)
    )
    if found is None:  # pragma: no cover - the numbers are kept by this module
        raise NotFound(_("version %(n)s of article %(id)s not found", n=number, id=article.id))
    return found


def create(session: Session, *, actor: Actor, draft: Draft) -> Article:
    """Write a new article; it stays a draft until published."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not write knowledge base articles (allowed: %(allowed)s)."),
    )
    if not draft.title or not draft.title.strip():
        raise Invalid(_("an article needs a title"), errors={"title": ["missing"]})
    _check_category(session, draft.category_id)
    article = Article(
        category_id=draft.category_id,
        visibility=draft.visibility or Visibility.PUBLIC,
        author_id=actor.user_id,
        review_on=draft.review_on,
    )
    session.add(article)
    session.flush()
    session.add(
        ArticleVersion(
            article_id=article.id,
            number=1,
            title=draft.title.strip(),
            body=draft.body or "",
            tags=_clean_tags(draft.tags or []),
            author_id=actor.user_id,
        )
    )
    session.flush()
    return article


def update(
    session: Session, *, actor: Actor, article_id: int, draft: Draft, expected_version: int | None = None
) -> Article:
    """Change an article: content goes into the draft (a new version after a published one).

    ``expected_version`` is the version the editor read (If-Match); another's change since is refused.
    """
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not edit knowledge base articles (allowed: %(allowed)s)."),
    )
    article = _get(session, article_id)
    latest = _version(session, article, article.latest_number)
    _claim(session, article, expected_version, latest.title)
    if draft.category_id is not None:
        _check_category(session, draft.category_id)
        article.category_id = draft.category_id
    if draft.review_on is not None:
        article.review_on = draft.review_on
    if draft.visibility is not None and draft.visibility != article.visibility:
        article.visibility = draft.visibility
        _reindex(session, article)
    if draft.title is None and draft.body is None and draft.tags is None:
        session.flush()
        return article
    if draft.title is not None and not draft.title.strip():
        raise Invalid(_("an article needs a title"), errors={"title": ["empty"]})
    if latest.published_at is not None:
        latest = ArticleVersion(
            article_id=article.id,
            number=latest.number + 1,
            title=latest.title,
            body=latest.body,
            tags=list(latest.tags),
        )
        session.add(latest)
        article.latest_number = latest.number
    latest.author_id = actor.user_id
    if draft.title is not None:
        latest.title = draft.title.strip()
    if draft.body is not None:
        latest.body = draft.body
    if draft.tags is not None:
        latest.tags = _clean_tags(draft.tags)
    session.flush()
    return article


def publish(
    session: Session, *, actor: Actor, article_id: int, expected_version: int | None = None
) -> Article:
    """Make the draft what readers see, and put it in the search index (an unpublished article's
    latest version goes back up as it was)."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not publish knowledge base articles (allowed: %(allowed)s)."),
    )
    article = _get(session, article_id)
    latest = _version(session, article, article.latest_number)
    if article.published_number == latest.number:
        raise Conflict(_("version %(n)s is already published: edit the article first", n=latest.number))
    _claim(session, article, expected_version, latest.title)
    latest.published_at = latest.published_at or utcnow()
    article.published_number = latest.number
    article.published_at = latest.published_at
    _reindex(session, article)
    return article


def unpublish(
    session: Session, *, actor: Actor, article_id: int, expected_version: int | None = None
) -> Article:
    """Take an article off the help centre and out of search (its versions stay)."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not unpublish knowledge base articles (allowed: %(allowed)s)."),
    )
    article = _get(session, article_id)
    if article.published_number is None:
        raise Conflict(_("this article is not published"), errors={"status": [status_of(article).value]})
    _claim(session, article, expected_version, _version(session, article, article.latest_number).title)
    article.published_number = None
    _reindex(session, article)
    return article


def _reindex(session: Session, article: Article) -> None:
    """Replace the article's sections with those of its published version (none if unpublished)."""
    session.execute(delete(ArticleSection).where(ArticleSection.article_id == article.id))
    if article.published_number is not None:
        content = _version(session, article, article.published_number)
        session.add_all(section_rows(article, content))
    session.flush()


def section_rows(article: Article, content: ArticleVersion) -> list[ArticleSection]:
    """The search rows of one published version (the benchmark builds its corpus with this too)."""
    title = content.title + (" " + " ".join(content.tags) if content.tags else "")
    rows = []
    for position, part in enumerate(kbtext.sections(content.body)):
        heading_title = f"{title} {part.heading}" if part.heading else title
        rows.append(
            ArticleSection(
                article_id=article.id,
                position=position,
                anchor=part.anchor,
                heading=part.heading[:200],
                visibility=article.visibility,
                title_words=kbtext.words(heading_title),
                title_grams=kbtext.grams(heading_title),
                body_words=kbtext.words(part.text),
                body_grams=kbtext.grams(part.text),
            )
        )
    return rows


def _get(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(_("article %(id)s not found", id=article_id))
    return article


def get_or_raise(
    session: Session, *, actor: Actor | None, article_id: int, draft: bool = False
) -> ArticleView:
    """An article as the reader may see it; drafts only for editors, internal ones only for staff."""
    article = session.get(Article, article_id)
    editor = actor is not None and actor.role in EDITORS
    if article is None or article.visibility not in visibilities(actor):
        raise NotFound(_("article %(id)s not found", id=article_id))
    if draft and editor:
        return ArticleView(article, _version(session, article, article.latest_number))
    if article.published_number is None:
        raise NotFound(_("article %(id)s not found", id=article_id))
    return ArticleView(article, _version(session, article, article.published_number))


def preview(*, actor: Actor, body: str) -> str:
    """A draft's body as readers would see it (the same sanitised renderer), for its editor."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not preview knowledge base articles (allowed: %(allowed)s)."),
    )
    return kbtext.heading_ids(kbtext.render(body), body)


def versions(session: Session, *, actor: Actor, article_id: int) -> list[ArticleVersion]:
    """Every version of an article, newest first (editors only)."""
    require_role(
        actor,
        EDITORS,
        to=_(
            "Your role (%(role)s) may not read the versions of knowledge base articles (allowed: %(allowed)s)."
        ),
    )
    _get(session, article_id)
    stmt = select(ArticleVersion).where(ArticleVersion.article_id == article_id)
    return list(session.scalars(stmt.order_by(ArticleVersion.number.desc())))


def _readable(actor: Actor | None, *, include_drafts: bool = False) -> Select[Article, ArticleVersion]:
    """Articles the reader may see, each with the version they read (editors' drafts if asked)."""
    editor = actor is not None and actor.role in EDITORS
    number = Article.latest_number if include_drafts and editor else Article.published_number
    return (
        select(Article, ArticleVersion)
        .where(Article.visibility.in_(visibilities(actor)))
        .join(ArticleVersion, (ArticleVersion.article_id == Article.id) & (ArticleVersion.number == number))
    )


def list_articles(
    session: Session,
    *,
    actor: Actor | None,
    category_id: int | None = None,
    include_drafts: bool = False,
    status: Status | None = None,
    visibility: Visibility | None = None,
    title: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[ArticleView]:
    """Published articles the reader may see (editors may ask for drafts too), newest first.

    Editors' filters: ``status``, ``visibility`` and words in the title (of the version shown).
    """
    stmt = _readable(actor, include_drafts=include_drafts)
    if category_id is not None:
        stmt = stmt.where(Article.category_id == category_id)
    if visibility is not None:
        stmt = stmt.where(Article.visibility == visibility)
    if status is not None:
        stmt = stmt.where(_status_is(status))
    if title and title.strip():
        escaped = title.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(ArticleVersion.title).like(f"%{escaped}%", escape="\\"))
    found = paginate(session, stmt.order_by(Article.id.desc()), page=page, page_size=page_size, rows=True)
    return Page(items=[ArticleView(a, v) for a, v in found.items], total=found.total)


def _status_is(status: Status) -> ColumnElement[bool]:
    """The SQL condition of :func:`status_of`."""
    never = Article.published_number.is_(None)
    if status is Status.DRAFT:
        return never & Article.published_at.is_(None)
    if status is Status.UNPUBLISHED:
        return never & Article.published_at.is_not(None)
    if status is Status.PUBLISHED:
        return Article.published_number == Article.latest_number
    return Article.published_number < Article.latest_number


def newest_by_category(
    session: Session, *, actor: Actor | None, per_category: int
) -> dict[int | None, Page[ArticleView]]:
    """Each category's newest published articles the reader may see, and how many it has in all.

    One statement for the articles (numbered within their category) and one for the counts, however
    many categories and articles there are: the help centre's front page.
    """
    readable = _readable(actor).subquery()
    article = aliased(Article, readable)
    version = aliased(ArticleVersion, readable)
    rank = func.row_number().over(partition_by=article.category_id, order_by=article.id.desc()).label("rank")
    ranked = select(article, version, rank).subquery()
    rows = session.execute(
        select(aliased(Article, ranked), aliased(ArticleVersion, ranked))
        .where(ranked.c.rank <= per_category)
        .order_by(ranked.c.rank)
    ).all()
    counted = session.execute(select(article.category_id, func.count()).group_by(article.category_id))
    totals: dict[int | None, int] = {row[0]: row[1] for row in counted}
    pages: dict[int | None, Page[ArticleView]] = {}
    for a, v in rows:
        pages.setdefault(a.category_id, Page(items=[], total=totals.get(a.category_id, 0))).items.append(
            ArticleView(a, v)
        )
    return pages


@dataclass(frozen=True)
class Found:
    """A search result: the article, its best section and the snippet around the words found."""

    view: ArticleView
    hit: kbsearch.Hit


def find(session: Session, *, actor: Actor | None, query: str, limit: int = 10) -> list[Found]:
    """Search the published articles the reader may see."""
    if len(query) > 200:
        raise Invalid(_("a search is at most 200 characters"), errors={"q": ["too long"]})
    hits = kbsearch.search(session, query=query, visibilities=visibilities(actor), limit=limit)
    if not hits:
        return []
    ids = [h.article_id for h in hits]
    rows = session.execute(
        select(Article, ArticleVersion)
        .join(
            ArticleVersion,
            (ArticleVersion.article_id == Article.id) & (ArticleVersion.number == Article.published_number),
        )
        .where(Article.id.in_(ids))
    )
    views = {a.id: ArticleView(a, v) for a, v in rows}
    return [Found(views[h.article_id], h) for h in hits if h.article_id in views]


def count_published(session: Session) -> int:
    """How many articles are published."""
    return session.scalar(select(func.count()).where(Article.published_number.is_not(None))) or 0
