"""Routing conditions: a small JSON tree, checked when a rule is saved and evaluated on new tickets.

A condition is one of::

    {"all": [condition, ...]}                       every one holds ({"all": []} always holds)
    {"any": [condition, ...]}                       at least one holds
    {"not": condition}                              it does not hold
    {"field": "channel", "in": ["email", "phone"]}  the ticket's value is one of these

Fields: ``channel``, ``kind``, ``priority``, ``tier`` (the customer's), ``category`` (a category id;
a ticket in a sub-category matches its parents too), ``region`` (the site's city or postcode
district, e.g. ``"Salford"`` or ``"M20"``, case-insensitive), and ``subject`` with ``"words"``
instead of ``"in"``: ``{"field": "subject", "words": ["leak", "漏水"]}`` holds when the subject
contains any of the words (case-insensitive; a word in Chinese is found inside a longer run).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.customers.models import CustomerTier
from dispatch.errors import Invalid
from dispatch.i18n import _
from dispatch.orders.models import Priority
from dispatch.tickets.models import TicketChannel, TicketKind

MAX_DEPTH = 6
MAX_NODES = 100
MAX_VALUES = 50

ENUM_FIELDS: dict[str, tuple[str, ...]] = {
    "channel": tuple(c.value for c in TicketChannel),
    "kind": tuple(k.value for k in TicketKind),
    "priority": tuple(p.value for p in Priority),
    "tier": tuple(t.value for t in CustomerTier),
}
FIELDS = (*ENUM_FIELDS, "category", "region", "subject")


@dataclass(frozen=True)
class Facts:
    """What a condition can look at on a ticket."""

    channel: str
    kind: str
    priority: str
    tier: str
    subject: str
    categories: frozenset[int] = frozenset()
    """The ticket's category and all its parents."""
    regions: frozenset[str] = frozenset()
    """The site's city and postcode district, lower-cased."""


@dataclass
class Match:
    """The leaf conditions that held, each with the ticket's value: the reason a rule matched."""

    held: list[dict[str, Any]] = field(default_factory=list)


def validate(condition: Any, *, category_exists: Callable[[int], bool] | None = None) -> dict[str, Any]:
    """Return the condition if well formed, else :class:`Invalid` naming each wrong place."""
    errors: dict[str, list[str]] = {}
    count = [0]
    _check(condition, "condition", 0, errors, count, category_exists)
    if errors:
        first = next(iter(errors))
        raise Invalid(
            _(
                "the rule's condition is not valid at %(path)s: %(problem)s",
                path=first,
                problem=errors[first][0],
            ),
            errors=errors,
        )
    result: dict[str, Any] = condition
    return result


def _check(
    node: Any,
    path: str,
    depth: int,
    errors: dict[str, list[str]],
    count: list[int],
    category_exists: Callable[[int], bool] | None,
) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        errors.setdefault("condition", []).append(f"at most {MAX_NODES} conditions in one rule")
        return
    if depth > MAX_DEPTH:
        errors.setdefault(path, []).append(f"nested deeper than {MAX_DEPTH} levels")
        return
    if not isinstance(node, Mapping):
        errors.setdefault(path, []).append('expected an object such as {"field": "channel", "in": ["email"]}')
        return
    keys = set(node)
    for op in ("all", "any"):
        if op in node:
            if keys != {op}:
                errors.setdefault(path, []).append(f"{op!r} stands alone in its object")
            elif not isinstance(node[op], list):
                errors.setdefault(f"{path}.{op}", []).append("expected a list of conditions")
            else:
                for i, child in enumerate(node[op]):
                    _check(child, f"{path}.{op}[{i}]", depth + 1, errors, count, category_exists)
            return
    if "not" in node:
        if keys != {"not"}:
            errors.setdefault(path, []).append("'not' stands alone in its object")
        else:
            _check(node["not"], f"{path}.not", depth + 1, errors, count, category_exists)
        return
    name = node.get("field")
    if name not in FIELDS:
        errors.setdefault(f"{path}.field", []).append(
            f"unknown field {name!r}; use one of: {', '.join(FIELDS)}"
        )
        return
    op = "words" if name == "subject" else "in"
    if keys != {"field", op}:
        errors.setdefault(path, []).append(f'a condition on {name} is {{"field": "{name}", "{op}": [...]}}')
        return
    values = node[op]
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        errors.setdefault(f"{path}.{op}", []).append(f"expected a list of 1 to {MAX_VALUES} values")
        return
    where = f"{path}.{op}"
    if name in ENUM_FIELDS:
        wrong = [v for v in values if v not in ENUM_FIELDS[name]]
        if wrong:
            errors.setdefault(where, []).append(
                f"unknown {name} {wrong[0]!r}; use one of: {', '.join(ENUM_FIELDS[name])}"
            )
    elif name == "category":
        for v in values:
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                errors.setdefault(where, []).append(f"category ids are positive integers, not {v!r}")
            elif category_exists is not None and not category_exists(v):
                errors.setdefault(where, []).append(f"no category {v}")
    else:
        for v in values:
            if not isinstance(v, str) or not v.strip() or len(v) > 100 or "\x00" in v:
                errors.setdefault(where, []).append(f"expected words of 1 to 100 characters, not {v!r}")


def evaluate(condition: Mapping[str, Any], facts: Facts) -> Match | None:
    """The reason the condition holds for these facts, or None if it does not."""
    match = Match()
    return match if _holds(condition, facts, match) else None


def _holds(node: Mapping[str, Any], facts: Facts, match: Match) -> bool:
    if "all" in node:
        return all(_holds(child, facts, match) for child in node["all"])
    if "any" in node:
        return any(_holds(child, facts, match) for child in node["any"])
    if "not" in node:
        return not _holds(node["not"], facts, Match())
    name = node["field"]
    if name == "subject":
        found = _words_in(facts.subject, node["words"])
        if found:
            match.held.append({"field": "subject", "words": found})
        return bool(found)
    if name == "category":
        hit = sorted(facts.categories & set(node["in"]))
        if hit:
            match.held.append({"field": "category", "value": hit[0]})
        return bool(hit)
    if name == "region":
        wanted = {str(v).strip().lower() for v in node["in"]}
        hits = sorted(facts.regions & wanted)
        if hits:
            match.held.append({"field": "region", "value": hits[0]})
        return bool(hits)
    value = getattr(facts, name)
    if value in node["in"]:
        match.held.append({"field": name, "value": value})
        return True
    return False


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _words_in(subject: str, words: Sequence[str]) -> list[str]:
    text = subject.casefold()
    found = []
    for word in words:
        w = word.strip().casefold()
        # Chinese is written without spaces: a Chinese word is looked for inside the run.
        hit = w in text if _HAN.search(w) else re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) is not None
        if hit:
            found.append(word)
    return found


def categories_in(node: Any) -> set[int]:
    """The category ids a condition names (a category in use cannot be deleted)."""
    if not isinstance(node, Mapping):
        return set()
    if "all" in node or "any" in node:
        found: set[int] = set()
        for child in node.get("all", node.get("any", [])):
            found |= categories_in(child)
        return found
    if "not" in node:
        return categories_in(node["not"])
    if node.get("field") == "category":
        return {v for v in node.get("in", []) if isinstance(v, int)}
    return set()
