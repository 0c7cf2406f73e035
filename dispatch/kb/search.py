"""Full-text search over published sections: PostgreSQL tsvector (GIN) or SQLite FTS5, ranked, with snippets.

Both read the same columns of ``kb_sections`` (see :mod:`dispatch.kb.text`): titles weigh more than
bodies (PostgreSQL weights A/B, FTS5 bm25 column weights 10/1). The index itself is made by the
migration: a GIN expression index on PostgreSQL, an external-content FTS5 table kept by triggers on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.kb import text as kbtext
from dispatch.kb.models import Visibility

PG_VECTOR = (
    "setweight(to_tsvector('simple', s.title_words || ' ' || s.title_grams), 'A') || "
    "setweight(to_tsvector('simple', s.body_words || ' ' || s.body_grams), 'B')"
)
"""The expression PostgreSQL's GIN index ``ix_kb_sections_search`` is built on (the migration repeats it)."""

START, STOP = "\x02", "\x03"
"""Snippet markers: characters no article contains; the caller turns them into <mark> safely."""
CANDIDATES = 60


@dataclass(frozen=True)
class Hit:
    """The best section of one article for a query."""

    article_id: int
    section_id: int
    anchor: str
    heading: str
    snippet: str
    rank: float


def _fts5_query(terms: list[tuple[str, bool]]) -> str:
    parts = []
    for term, prefix in terms:
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + ("*" if prefix else ""))
    return " AND ".join(parts)


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
    marks = ", ".join(f":v{i}" for i in range(len(allowed)))
    stmt = text(
        "SELECT s.id, s.article_id, s.anchor, s.heading, "
        f"bm25(kb_search, 10.0, 10.0, 1.0, 1.0) AS rank, "
        f"snippet(kb_search, 2, '{START}', '{STOP}', '…', 24) AS snippet "
        "FROM kb_search JOIN kb_sections s ON s.id = kb_search.rowid "
        f"WHERE kb_search MATCH :q AND s.visibility IN ({marks}) "
        "ORDER BY rank LIMIT :n"
    )
    params: dict[str, object] = {"q": _fts5_query(terms), "n": CANDIDATES}
    params.update({f"v{i}": v for i, v in enumerate(allowed)})
    return list(session.execute(stmt, params))


def _search_pg(session: Session, terms: list[tuple[str, bool]], allowed: list[str]) -> list[Any]:
    stmt = text(
        "WITH q AS (SELECT to_tsquery('simple', :q) AS query), "
        "best AS ("
        f"  SELECT s.id, s.article_id, s.anchor, s.heading, s.body_words, ts_rank({PG_VECTOR}, q.query) AS rank "
        f"  FROM kb_sections s, q WHERE {PG_VECTOR} @@ q.query AND s.visibility = ANY(:allowed) "
        "  ORDER BY rank DESC, s.id LIMIT :n) "
        "SELECT best.id, best.article_id, best.anchor, best.heading, best.rank, "
        f"ts_headline('simple', best.body_words, q.query, "
        f"'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') "
        "AS snippet FROM best, q ORDER BY best.rank DESC, best.id"
    )
    return list(session.execute(stmt, {"q": _pg_query(terms), "allowed": allowed, "n": CANDIDATES}))
