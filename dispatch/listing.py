"""Sorting, pagination and text search shared by every list endpoint.

Searches use ``column.ilike(pattern)``. PostgreSQL reads a backslash in a LIKE pattern as an escape
(and refuses a pattern that ends in one), SQLite does not: importing this module makes PostgreSQL
read patterns as SQLite does (``ESCAPE ''``), so a search for ``\\`` finds backslashes on both
instead of failing on one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BinaryExpression

from dispatch.errors import Invalid

T = TypeVar("T")

_LIKE_OPERATORS = frozenset(
    {operators.like_op, operators.not_like_op, operators.ilike_op, operators.not_ilike_op}
)


@compiles(BinaryExpression, "postgresql")
def _like_without_escape_character(element: BinaryExpression[Any], compiler: SQLCompiler, **kw: Any) -> str:
    """LIKE / ILIKE with no ESCAPE given: a backslash is an ordinary character, as on SQLite."""
    if element.operator in _LIKE_OPERATORS and element.modifiers.get("escape") is None:
        element = element._clone()
        element.modifiers = {**element.modifiers, "escape": ""}
    sql: str = compiler.visit_binary(element, **kw)  # type: ignore[no-untyped-call]
    return sql


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and how many there are in all."""

    items: list[T]
    total: int


class Sort:
    """Parses ``sort=field,-other`` against the fields a list allows, id breaking ties."""

    def __init__(self, columns: Mapping[str, ColumnElement[Any] | Any], *, default: str) -> None:
        self.columns = dict(columns)
        self.default = default

    @property
    def fields(self) -> list[str]:
        """The names a client may sort by."""
        return sorted(self.columns)

    def apply(self, stmt: Select[Any], spec: str | None) -> Select[Any]:
        """Order ``stmt`` by ``spec`` or raise :class:`Invalid` naming the unknown field."""
        terms = [t.strip() for t in (spec or self.default).split(",") if t.strip()]
        order = []
        for term in terms:
            name = term.lstrip("-+")
            column = self.columns.get(name)
            if column is None:
                raise Invalid(
                    f"cannot sort by {name!r}",
                    errors={"sort": [f"unknown field {name!r}; use one of: {', '.join(self.fields)}"]},
                )
            order.append(column.desc() if term.startswith("-") else column.asc())
        if "id" in self.columns and not any(t.lstrip("-+") == "id" for t in terms):
            order.append(self.columns["id"].asc())
        return stmt.order_by(*order)


MAX_OFFSET = 2**62
"""The largest offset a page may ask the database for."""


def paginate(
    session: Session, stmt: Select[*tuple[Any, ...]], *, page: int, page_size: int, rows: bool = False
) -> Page[Any]:
    """Run ``stmt`` for one page and know the whole result's size.

    A page that comes back short is the last one, so its total needs no count; only a full page or
    one past the end costs the extra ``count(*)`` (most engineers' days and filtered lists fit one page).
    ``rows``: the items are whole result rows (a select of several entities), not the first column.
    """
    offset = (page - 1) * page_size
    items: list[Any] = []
    if offset <= MAX_OFFSET:  # an offset past this no database takes, and no table holds that many rows
        window = stmt.limit(page_size).offset(offset)
        items = list(session.execute(window).all()) if rows else list(session.scalars(window).unique())
        if 0 < len(items) < page_size or (offset == 0 and not items):
            return Page(items=items, total=offset + len(items))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if offset >= total:
        return Page(items=[], total=total)
    return Page(items=items, total=total)
