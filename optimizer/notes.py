"""Explanations as data: a code and its values, worded by whoever shows them.

The engine says why a visit sits where it does (a stop's notes) or why it was left out (an
unassigned visit's note) as :class:`Note` values; :func:`english` words them for logs, the
benchmarks and :meth:`Plan.summary`. An application words the same codes in its reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NoteValue = str | int | float


@dataclass(frozen=True, slots=True)
class Note:
    """One explanation: ``code`` says which, ``values`` fill its sentence (hashable, JSON-ready)."""

    code: str
    values: tuple[tuple[str, NoteValue], ...] = ()

    @classmethod
    def of(cls, code: str, **values: NoteValue) -> Note:
        """A note with named values, e.g. ``Note.of("window", start="09:00", end="12:00")``."""
        return cls(code, tuple(sorted(values.items())))

    @property
    def params(self) -> dict[str, NoteValue]:
        """The values by name."""
        return dict(self.values)

    def to_json(self) -> dict[str, Any]:
        """``{"code": ..., "params": {...}}`` for storing beside the plan."""
        return {"code": self.code, "params": self.params}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        """The note :meth:`to_json` stored."""
        return cls.of(str(data["code"]), **dict(data.get("params") or {}))


ENGLISH: dict[str, str] = {
    # why a visit sits on this route
    "fixed": "already started or done: kept as recorded",
    "pinned": "pinned to this engineer by the dispatcher",
    "kept": "kept on the published route",
    "avoided_but_only_one": "the customer rated this engineer 1-2 before; no other engineer fitted",
    "kept_away": "kept away from an engineer the customer rated 1-2",
    "qualified_share": "%(qualified)s of %(engineers)s engineers can do it (%(skills)s)",
    "leg_from_start": "%(leg_km)s km from the start, adds %(detour_km)s km to the route",
    "leg_from_previous": "%(leg_km)s km from the previous stop, adds %(detour_km)s km to the route",
    "nearest": "nearest qualified engineer",
    "window": "window %(start)s-%(end)s",
    # why a visit is left out
    "no_skilled_engineer": "no engineer has the skills (%(skills)s)",
    "pinned_engineer_unskilled": "pinned engineer %(engineer)s lacks the skills (%(skills)s)",
    "over_capacity": "demand %(demand)s exceeds every capacity",
    "window_unreachable": "no skilled engineer can arrive within its window",
    "shift_too_short": "no skilled engineer can fit it and still end the shift in time",
    "route_timing": "did not fit this route's timing",
    "no_room": (
        "no room: no qualified engineer's route can take it in its window, "
        "even after moving up to two planned visits elsewhere"
    ),
    "too_costly": "left out: no route had room at an acceptable cost",
}
"""The engine's own wording of each code (``%(name)s`` placeholders)."""


def english(notes: Note | Iterable[Note] | None) -> str:
    """The notes as one English sentence ("; " between parts)."""
    if notes is None:
        return ""
    parts = [notes] if isinstance(notes, Note) else list(notes)
    return "; ".join(ENGLISH[n.code] % n.params if n.code in ENGLISH else n.code for n in parts)
