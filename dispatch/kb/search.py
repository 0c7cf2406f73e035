"""Full-text search over published sections: PostgreSQL tsvector (GIN) or SQLite FTS5, ranked, with snippets.

Both read the same columns of ``kb_sections`` (see :mod:`dispatch.kb.text`): titles weigh more than
bodies (PostgreSQL weights A/B, FTS5 bm25 column weights 10/1). The index itself is made by the
migration: a stored tsvector column with a GIN index on PostgreSQL, an external-content FTS5 table
kept by triggers on SQLite. Both rank every match and keep the best ``CANDIDATES`` sections; only
those get a snippet, which is the costly part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.kb import text as kbtext
from dispatch.kb.models import Visibility

START, STOP = "\x02", "\x03"
"""Snippet markers: characters no article contains; the caller turns them into <mark> safely."""
CANDIDATES = 40


@dataclass(frozen=True)
class Hit:
    """The best section of one article for a query."""

    article_id: int
    section_id: int
    anchor: str
    heading: str
    snippet: str
    rank: float


def _fts5_query(terms: list[tuple[str, bool]], allowed: list[str]) -> str:
    parts = []
    for term, prefix in terms:
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + ("*" if prefix else ""))
    words = "{title_words title_grams body_words body_grams} : (" + " AND ".join(parts) + ")"
    if len(allowed) == len(Visibility):
        return words
    return "visibility : (" + " OR ".join(allowed) + ") AND " + words


def _pg_query(terms: list[tuple[str, bool]]) -> str:
    parts = []
    for term, prefix in terms:
        quoted = "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"
        parts.append(quoted + (":*" if prefix else ""))
    return " & ".join(parts)


def search(
    session: Session, *, query: str, visibilities: frozenset[Visibility], limit: int = 10
) -> list[Hit]:
    """The published articles that contain every word of ``query``, best first, one hit per article."""
    terms = kbtext.query_terms(query)
    if not terms or not visibilities:
        return []
    allowed = sorted(v.value for v in visibilities)
    if session.get_bind().dialect.name == "postgresql":
        rows = _search_pg(session, terms, allowed)
    else:
        rows = _search_sqlite(session, terms, allowed)
    hits: dict[int, Hit] = {}
    for row in rows:
        if row.article_id in hits:
            continue
        hits[row.article_id] = Hit(
            article_id=row.article_id,
            section_id=row.id,
            anchor=row.anchor,
            heading=row.heading,
            snippet=kbtext.tidy_snippet(row.snippet or ""),
            rank=float(row.rank),
        )
        if len(hits) == limit:
            break
    return list(hits.values())


def _search_sqlite(session: Session, terms: list[tuple[str, bool]], allowed: list[str]) -> list[Any]:
    query = _fts5_query(terms, allowed)
    best = session.execute(
        text("SELECT rowid, rank FROM kb_search WHERE kb_search MATCH :q ORDER BY rank LIMIT :n"),
        {"q": query, "n": CANDIDATES},
    ).all()
    if not best:
        return []
    ranks = {row.rowid: row.rank for row in best}
    marks = ", ".join(str(int(rowid)) for rowid in ranks)
    rows = session.execute(
        text(
            "SELECT s.id, s.article_id, s.anchor, s.heading, "
            f"snippet(kb_search, 2, '{START}', '{STOP}', '…', 24) AS snippet "
            "FROM kb_search JOIN kb_sections s ON s.id = kb_search.rowid "
            f"WHERE kb_search MATCH :q AND kb_search.rowid IN ({marks})"
        ),
        {"q": query},
    ).all()
    by_id = {row.id: row for row in rows}
    return [
        _Row(by_id[rowid].id, by_id[rowid].article_id, by_id[rowid].anchor, by_id[rowid].heading,
             by_id[rowid].snippet, -rank)
        for rowid, rank in ranks.items()
        if rowid in by_id
    ]  # fmt: skip


@dataclass(frozen=True)
class _Row:
    id: int
    article_id: int
    anchor: str
    heading: str
    snippet: str
    rank: float


def _search_pg(session: Session, terms: list[tuple[str, bool]], allowed: list[str]) -> list[Any]:
    stmt = text(
        "WITH q AS (SELECT to_tsquery('simple', :q) AS query), "
        "best AS ("
        "  SELECT s.id, s.article_id, s.anchor, s.heading, s.body_words, ts_rank(s.search_vector, q.query) AS rank "
        "  FROM kb_sections s, q WHERE s.search_vector @@ q.query AND s.visibility = ANY(:allowed) "
        "  ORDER BY rank DESC, s.id LIMIT :n) "
        "SELECT best.id, best.article_id, best.anchor, best.heading, best.rank, "
        f"ts_headline('simple', best.body_words, q.query, "
        f"'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') "
        "AS snippet FROM best, q ORDER BY best.rank DESC, best.id"
    )
    return list(session.execute(stmt, {"q": _pg_query(terms), "allowed": allowed, "n": CANDIDATES}))
