"""The optimizer's explanations in the reader's language.

The engine explains with codes and values (:class:`optimizer.Note`); plans store them beside the
English sentence of the time (``why``/``detail``). They are worded when shown, in the locale of
whoever reads the plan; a row stored before codes existed is shown with its sentence as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dispatch.i18n import LazyText, _, gettext
from optimizer import Note

WORDS: dict[str, LazyText] = {
    "fixed": _("already started or done: kept as recorded"),
    "pinned": _("pinned to this engineer by the dispatcher"),
    "kept": _("kept on the published route"),
    "avoided_but_only_one": _("the customer rated this engineer 1-2 before; no other engineer fitted"),
    "kept_away": _("kept away from an engineer the customer rated 1-2"),
    "qualified_share": _("%(qualified)s of %(engineers)s engineers can do it (%(skills)s)"),
    "leg_from_start": _("%(leg_km)s km from the start, adds %(detour_km)s km to the route"),
    "leg_from_previous": _("%(leg_km)s km from the previous stop, adds %(detour_km)s km to the route"),
    "nearest": _("nearest qualified engineer"),
    "window": _("window %(start)s-%(end)s"),
    "no_skilled_engineer": _("no engineer has the skills (%(skills)s)"),
    "pinned_engineer_unskilled": _("pinned engineer %(engineer)s lacks the skills (%(skills)s)"),
    "over_capacity": _("demand %(demand)s exceeds every capacity"),
    "window_unreachable": _("no skilled engineer can arrive within its window"),
    "shift_too_short": _("no skilled engineer can fit it and still end the shift in time"),
    "route_timing": _("did not fit this route's timing"),
    "no_room": _(
        "no room: no qualified engineer's route can take it in its window, "
        "even after moving up to two planned visits elsewhere"
    ),
    "too_costly": _("left out: no route had room at an acceptable cost"),
}
"""Each of the engine's codes (see ``optimizer.notes.ENGLISH``) as a translatable sentence."""


class Explanation:
    """Notes worded when shown: each translated, joined as the reader's language joins clauses."""

    __slots__ = ("fallback", "notes")

    def __init__(self, notes: Iterable[Mapping[str, Any]], fallback: str = "") -> None:
        self.notes = [dict(n) for n in notes]
        self.fallback = fallback

    def __str__(self) -> str:
        parts = []
        for note in self.notes:
            words = WORDS.get(str(note.get("code")))
            if words is None:  # a code newer than this wording: the sentence stored with it
                return self.fallback
            parts.append(str(LazyText(words.msgid, dict(note.get("params") or {}))))
        return gettext("; ").join(parts)


def stored(notes: Note | Iterable[Note] | None) -> dict[str, Any] | None:
    """Notes as they are kept on a plan row (``None``: none)."""
    if notes is None:
        return None
    listed = [notes] if isinstance(notes, Note) else list(notes)
    return {"notes": [n.to_json() for n in listed]} if listed else None


def shown(kept: Mapping[str, Any] | None, sentence: str) -> Explanation | str:
    """What a plan row says, in the reader's language; a row without notes says its ``sentence``."""
    if not kept or not kept.get("notes"):
        return sentence
    return Explanation(kept["notes"], sentence)
