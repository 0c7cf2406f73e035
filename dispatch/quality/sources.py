"""Where "every ticket with a low satisfaction score" comes from: a pluggable source.

The quality sample takes, besides N random closed tickets per agent and week, every ticket a
registered source names. The satisfaction surveys register theirs at import, next to their event
hooks (``dispatch/surveys/hooks.py``): the tickets closed in ``[start, end)`` whose customer rated
them 1 or 2. Tests may register their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.orm import Session

LowScoreSource = Callable[[Session, datetime, datetime], Iterable[int]]
_sources: list[LowScoreSource] = []


def register(source: LowScoreSource) -> None:
    """Add a source of low-scored tickets (registering the same function twice has no effect)."""
    if source not in _sources:
        _sources.append(source)


def unregister(source: LowScoreSource) -> None:
    """Remove a source (tests)."""
    if source in _sources:
        _sources.remove(source)


def low_scored(session: Session, start: datetime, end: datetime) -> set[int]:
    """The ids of tickets closed in ``[start, end)`` that some source names as low-scored."""
    found: set[int] = set()
    for source in _sources:
        found.update(source(session, start, end))
    return found
