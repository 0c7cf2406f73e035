"""Category trees an admin edits (ticket categories, knowledge-base categories): one rule for where a
category may sit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.errors import Invalid
from dispatch.i18n import _


def check_parent(
    session: Session, model: type[Any], *, category_id: int | None, parent_id: int | None, max_depth: int
) -> None:
    """Refuse a parent that does not exist, that is the category itself or one of its sub-categories,
    or that would make the tree deeper than ``max_depth`` levels."""
    depth, current = 1, session.get(model, parent_id) if parent_id is not None else None
    if parent_id is not None and current is None:
        raise Invalid(
            _("category %(id)s does not exist", id=parent_id), errors={"parent_id": ["no such category"]}
        )
    while current is not None:
        if current.id == category_id:
            raise Invalid(
                _("a category cannot sit under itself or under one of its sub-categories"),
                errors={"parent_id": ["makes a loop"]},
            )
        depth += 1
        if depth > max_depth:
            raise Invalid(
                _("categories go at most %(n)s levels deep", n=max_depth), errors={"parent_id": ["too deep"]}
            )
        current = session.get(model, current.parent_id) if current.parent_id is not None else None
