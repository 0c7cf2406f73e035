"""Where a thing stands, in words a sentence can hold, in the reader's language.

Messages such as "order %(number)s is %(status)s" take ``status=status_word(order.status)``: the
reader sees "on site" or "已到场", never ``on_site``. The status codes themselves stay in the
``errors`` a client reads by program.
"""

from __future__ import annotations

from enum import StrEnum

from dispatch.i18n import N_, LazyText, _

WORDS: dict[str, dict[str, str]] = {
    "OrderStatus": {
        "new": N_("not yet planned"),
        "scheduled": N_("scheduled"),
        "dispatched": N_("sent to the engineer"),
        "accepted": N_("accepted by the engineer"),
        "en_route": N_("on the way"),
        "on_site": N_("on site"),
        "completed": N_("completed"),
        "declined": N_("declined by the engineer"),
        "cancelled": N_("cancelled"),
        "incomplete": N_("not finished (needs another visit)"),
    },
    "TicketStatus": {
        "new": N_("new"),
        "open": N_("open"),
        "pending": N_("waiting on the customer"),
        "on_hold": N_("on hold"),
        "resolved": N_("resolved"),
        "closed": N_("closed"),
        "reopened": N_("reopened"),
    },
    "PlanStatus": {
        "queued": N_("queued"),
        "running": N_("being computed"),
        "ready": N_("ready"),
        "published": N_("published"),
        "failed": N_("failed"),
        "cancelled": N_("cancelled"),
    },
    "DeliveryStatus": {
        "pending": N_("waiting to be sent"),
        "sending": N_("being sent"),
        "sent": N_("sent"),
        "failed": N_("failed"),
    },
    "OrderAction": {
        "assign": N_("assign"),
        "unassign": N_("unassign"),
        "dispatch": N_("dispatch"),
        "publish": N_("publish"),
        "accept": N_("accept"),
        "decline": N_("decline"),
        "start_travel": N_("start travel to"),
        "check_in": N_("check in at"),
        "complete": N_("complete"),
        "mark_incomplete": N_("report as unfinished"),
        "cancel": N_("cancel"),
        "transfer": N_("transfer"),
        "reschedule": N_("reschedule"),
    },
}
"""The words of each status enum (by class name), and of the order's actions, keyed by value."""


def word(kind: str, value: str) -> LazyText | str:
    """``value`` of ``kind`` (a key of ``WORDS``) as a sentence says it; an unknown value as it is."""
    known = WORDS.get(kind, {}).get(value)
    return _(known) if known else value


class Listed:
    """Several values of one kind in words, listed with commas when shown (so in the reader's language)."""

    __slots__ = ("kind", "values")

    def __init__(self, kind: str, values: tuple[str, ...] | list[str]) -> None:
        self.kind = kind
        self.values = tuple(values)

    def __str__(self) -> str:
        return ", ".join(str(word(self.kind, v)) for v in self.values)


def words(kind: str, values: tuple[str, ...] | list[str]) -> Listed:
    """Several values of ``kind``, each in words, listed with commas."""
    return Listed(kind, values)


def status_word(status: StrEnum) -> LazyText | str:
    """``status`` as a sentence says it, translated when shown; an unknown value as it is."""
    return word(type(status).__name__, status.value)
