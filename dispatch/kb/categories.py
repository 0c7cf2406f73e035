"""The help centre's category tree, edited by agents and admins."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch import trees
from dispatch.access import Actor, require_role
from dispatch.errors import Conflict, NotFound
from dispatch.i18n import _
from dispatch.kb.models import Article, KbCategory
from dispatch.kb.service import EDITORS

MAX_DEPTH = 4


def list_categories(session: Session) -> list[KbCategory]:
    """The whole tree, parents before children, in their order."""
    rows = list(session.scalars(select(KbCategory).order_by(KbCategory.position, KbCategory.name)))
    by_parent: dict[int | None, list[KbCategory]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    ordered: list[KbCategory] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            if depth < MAX_DEPTH:
                walk(child.id, depth + 1)

    walk(None, 1)
    return ordered


def get_or_raise(session: Session, *, category_id: int) -> KbCategory:
    """A category, or :class:`NotFound`."""
    category = session.get(KbCategory, category_id)
    if category is None:
        raise NotFound(_("category %(id)s not found", id=category_id))
    return category


def _check_parent(session: Session, category_id: int | None, parent_id: int | None) -> None:
    trees.check_parent(session, KbCategory, category_id=category_id, parent_id=parent_id, max_depth=MAX_DEPTH)


def _check_name(session: Session, category_id: int | None, parent_id: int | None, name: str) -> None:
    same = select(KbCategory.id).where(KbCategory.name == name, KbCategory.parent_id.is_(parent_id))
    if parent_id is not None:
        same = select(KbCategory.id).where(KbCategory.name == name, KbCategory.parent_id == parent_id)
    if any(found != category_id for found in session.scalars(same)):
        raise Conflict(_("there is already a category called %(name)s here", name=name))


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    parent_id: int | None = None,
    description: str = "",
    position: int = 0,
) -> KbCategory:
    """Add a category."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not edit the help centre's categories (allowed: %(allowed)s)."),
    )
    name = name.strip()
    _check_parent(session, None, parent_id)
    _check_name(session, None, parent_id, name)
    category = KbCategory(name=name, parent_id=parent_id, description=description, position=position)
    session.add(category)
    session.flush()
    return category


def update(session: Session, *, actor: Actor, category_id: int, changes: dict[str, object]) -> KbCategory:
    """Rename, move or describe a category."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not edit the help centre's categories (allowed: %(allowed)s)."),
    )
    category = get_or_raise(session, category_id=category_id)
    parent_id = changes.get("parent_id", category.parent_id)
    name = str(changes.get("name", category.name)).strip()
    _check_parent(session, category.id, parent_id if isinstance(parent_id, int) else None)
    _check_name(session, category.id, parent_id if isinstance(parent_id, int) else None, name)
    category.parent_id = parent_id if isinstance(parent_id, int) else None
    category.name = name
    if "description" in changes:
        category.description = str(changes["description"])
    if "position" in changes and isinstance(changes["position"], int):
        category.position = changes["position"]
    session.flush()
    return category


def delete(session: Session, *, actor: Actor, category_id: int) -> None:
    """Remove an empty category (no sub-categories, no articles)."""
    require_role(
        actor,
        EDITORS,
        to=_("Your role (%(role)s) may not edit the help centre's categories (allowed: %(allowed)s)."),
    )
    category = get_or_raise(session, category_id=category_id)
    children = session.scalar(select(func.count()).where(KbCategory.parent_id == category.id)) or 0
    articles = session.scalar(select(func.count()).where(Article.category_id == category.id)) or 0
    if children or articles:
        raise Conflict(_("only an empty category can be removed: move its articles and sub-categories first"))
    session.delete(category)
    session.flush()
