"""Full-text search over published sections: PostgreSQL tsvector (GIN) or SQLite FTS5, ranked, with snippets.

Both read the same columns of ``kb_sections`` (see :mod:`dispatch.kb.text`): titles weigh more than
bodies (PostgreSQL weights A/B in ``ts_rank``, on SQLite column weights 10/1). The index itself is made by the
migration: a stored tsvector column with a GIN index on PostgreSQL, an external-content FTS5 table
kept by triggers on SQLite.

A search runs in three steps, so that its cost follows the page asked for and not the number of
sections that match: the index finds the newest ``CANDIDATES`` matching sections without ranking
them (cheap: it stops when it has them); only those are ranked, best first, and the best section of
each article kept; only the ``limit`` hits returned get a snippet (``ts_headline`` and ``snippet()``
re-read the text, the costly part). When more sections than that match, the words are so common that
any of the newest sections is as good a start as any other; the ranking still puts a title above a
body among them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.kb import text as kbtext
from dispatch.kb.models import Visibility

START, STOP = "\x02", "\x03"
"""Snippet markers: characters no article contains; the caller turns them into <mark> safely."""
CANDIDATES = 200
"""Sections ranked at most per search: the newest that match."""


@dataclass(frozen=True)
class Hit:
    """The best section of one article for a query."""

    article_id: int
    section_id: int
    anchor: str
    heading: str
    snippet: str
    rank: float


def _fts5_query(
    terms: list[tuple[str, bool]], allowed: list[str], spelled: dict[str, set[str]] | None = None
) -> str:
    """The FTS5 MATCH of the terms; a prefix found in ``spelled`` becomes the words it stands for."""
    parts = []
    for term, prefix in terms:
        found = (spelled or {}).get(term) if prefix else None
        if found:
            parts.append("(" + " OR ".join(_quoted(word) for word in sorted(found)) + ")")
        else:
            parts.append(_quoted(term) + ("*" if prefix else ""))
    words = "{title_words title_grams body_words body_grams} : (" + " AND ".join(parts) + ")"
    if len(allowed) == len(Visibility):
        return words
    return "visibility : (" + " OR ".join(allowed) + ") AND " + words


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


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
    if not terms or not visibilities or limit < 1:
        return []
    allowed = sorted(v.value for v in visibilities)
    if session.get_bind().dialect.name == "postgresql":
        return _search_pg(session, _pg_query(terms), allowed, limit)
    return _search_sqlite(session, terms, allowed, limit)


def _search_sqlite(
    session: Session, terms: list[tuple[str, bool]], allowed: list[str], limit: int
) -> list[Hit]:
    # FTS5 walks its doclists in rowid order and stops at the LIMIT. Its bm25() would first read
    # the whole doclist of every word for the collection-wide statistics, which costs as much as
    # ranking every match; the candidates are scored here instead (see _score), like ts_rank.
    candidates = session.execute(
        text(
            "SELECT s.id, s.article_id, s.title_words, s.title_grams, s.body_words, s.body_grams FROM "
            "(SELECT rowid FROM kb_search WHERE kb_search MATCH :q ORDER BY rowid DESC LIMIT :n) AS c "
            "JOIN kb_sections s ON s.id = c.rowid"
        ),
        {"q": _fts5_query(terms, allowed), "n": CANDIDATES},
    ).all()
    if not candidates:
        return []
    texts = {
        row.id: (
            _folded(f"{row.title_words} {row.title_grams}"),
            _folded(f"{row.body_words} {row.body_grams}"),
        )
        for row in candidates
    }
    scored = _score(terms, [texts[row.id] for row in candidates])
    ranked = sorted(zip(scored, candidates, strict=True), key=lambda pair: (-pair[0], pair[1].id))
    best: dict[int, tuple[int, float]] = {}
    for rank, row in ranked:
        best.setdefault(row.article_id, (row.id, rank))
        if len(best) == limit:
            break
    # One pass over the rowid range of the page's sections: "rowid IN (...)" would start the MATCH
    # again for each of them, merging a prefix's doclists each time; the "+" keeps it a filter.
    # A prefix is spelled out as the words it matched in those sections, which FTS5 looks up at
    # once, instead of merging the doclists of every word that starts so a second time.
    chosen = [section_id for section_id, _ in best.values()]
    spelled = {
        term: {word for section_id in chosen for column in texts[section_id] for word in _words(term, column)}
        for term, prefix in terms
        if prefix
    }
    ids = ", ".join(str(int(section_id)) for section_id in chosen)
    snippets = text(
        "SELECT s.id, s.anchor, s.heading, "
        f"snippet(kb_search, 2, '{START}', '{STOP}', '…', 24) AS snippet "
        "FROM kb_search JOIN kb_sections s ON s.id = kb_search.rowid "
        "WHERE kb_search MATCH :q AND kb_search.rowid BETWEEN :lowest AND :highest "
        f"AND +kb_search.rowid IN ({ids})"
    )
    params = {"q": _fts5_query(terms, allowed, spelled), "lowest": min(chosen), "highest": max(chosen)}
    rows = session.execute(snippets, params).all()
    by_id = {row.id: row for row in rows}
    if spelled and len(by_id) < len(chosen):  # a word read here otherwise than FTS5 reads it
        rows = session.execute(snippets, {**params, "q": _fts5_query(terms, allowed)}).all()
        by_id = {row.id: row for row in rows}
    return [
        Hit(
            article_id=article_id,
            section_id=section_id,
            anchor=by_id[section_id].anchor,
            heading=by_id[section_id].heading,
            snippet=kbtext.tidy_snippet(by_id[section_id].snippet or ""),
            rank=rank,
        )
        for article_id, (section_id, rank) in best.items()
        if section_id in by_id
    ]


TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
"""As the bm25 column weights of the FTS5 table (and PostgreSQL's A/B): a title counts ten times."""
_K1, _B = 1.2, 0.75
_LATIN_MARKED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_MARKS = re.compile(r"[\u0300-\u036f]")


def _folded(text: str) -> str:
    """Lower case without accents, as FTS5's unicode61 tokenizer reads it."""
    text = text.lower()
    if _LATIN_MARKED.search(text):
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return text


def _word(term: str, prefix: bool) -> re.Pattern[str]:
    """A term as a whole word (or the start of one): the literal first, so that the scan is quick,
    then a look back at the character before it."""
    before = rf"(?<![^\W_].{{{len(term)}}})"
    return re.compile(re.escape(term) + before + ("" if prefix else r"(?![^\W_])"))


def _words(prefix: str, text: str) -> list[str]:
    """The words of a folded text that start with ``prefix``."""
    return re.findall(re.escape(prefix) + rf"(?<![^\W_].{{{len(prefix)}}})[^\W_]*", text)


def _score(terms: list[tuple[str, bool]], sections: list[tuple[str, str]]) -> list[float]:
    """Okapi BM25 term-frequency saturation per column, weighted title over body, of each section
    (its title and body text folded by ``_folded``).

    The candidates all contain every term (the MATCH said so), so the collection-wide inverse
    document frequency would only tilt one term against another; it is left out, as ts_rank does.
    A column's length is its number of spaces: the indexed columns are words split by spaces.
    """
    patterns = [_word(term, prefix) for term, prefix in terms]
    columns = sections
    lengths = [(title.count(" ") + 1, body.count(" ") + 1) for title, body in columns]
    average = [sum(row[i] for row in lengths) / len(lengths) for i in range(2)]
    scores = []
    for texts, length in zip(columns, lengths, strict=True):
        score = 0.0
        for column, weight, size, mean in zip(
            texts, (TITLE_WEIGHT, BODY_WEIGHT), length, average, strict=True
        ):
            norm = _K1 * (1 - _B + _B * size / mean)
            for pattern in patterns:
                found = len(pattern.findall(column))
                score += weight * found * (_K1 + 1) / (found + norm)
        scores.append(score)
    return scores


def _search_pg(session: Session, query: str, allowed: list[str], limit: int) -> list[Hit]:
    # found: the newest matches, by the GIN index for rare words or by the primary key backwards
    # for common ones (stopping at the LIMIT), whichever the planner finds cheaper; that is why the
    # tsquery is written out in each place rather than taken from a CTE, whose rows the planner
    # cannot see into. best: those ranked, the best section of each article. The page: ts_headline
    # runs on its rows only.
    tsquery = "to_tsquery('simple', :q)"
    stmt = text(
        "WITH found AS ("
        "  SELECT s.id FROM kb_sections s "
        f"  WHERE s.search_vector @@ {tsquery} AND s.visibility = ANY(:allowed) "
        "  ORDER BY s.id DESC LIMIT :n), "
        "best AS ("
        f"  SELECT DISTINCT ON (s.article_id) s.id, s.article_id, ts_rank(s.search_vector, {tsquery}) AS rank "
        "  FROM kb_sections s JOIN found ON found.id = s.id "
        "  ORDER BY s.article_id, rank DESC, s.id), "
        "page AS (SELECT * FROM best ORDER BY rank DESC, id LIMIT :limit) "
        "SELECT s.id, s.article_id, s.anchor, s.heading, page.rank, "
        f"ts_headline('simple', s.body_words, {tsquery}, "
        f"'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') "
        "AS snippet FROM page JOIN kb_sections s ON s.id = page.id ORDER BY page.rank DESC, s.id"
    )
    rows = session.execute(stmt, {"q": query, "allowed": allowed, "n": CANDIDATES, "limit": limit})
    return [
        Hit(
            article_id=row.article_id,
            section_id=row.id,
            anchor=row.anchor,
            heading=row.heading,
            snippet=kbtext.tidy_snippet(row.snippet or ""),
            rank=float(row.rank),
        )
        for row in rows
    ]
