"""Names of the dimension values a series shows (channels translated; teams, categories, engineers by name)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.complaints.models import RootCause
from dispatch.engineers.models import Engineer
from dispatch.i18n import LazyText, _, text
from dispatch.routing.models import DeskTeam
from dispatch.tickets.models import TicketCategory

CHANNELS: dict[str, LazyText] = {
    "web_form": _("Contact form"),
    "portal": _("Customer portal"),
    "email": _("Email"),
    "phone": _("Phone"),
    "api": _("API"),
    "engineer_app": _("Engineer's app"),
}
DIMENSIONS: dict[str, LazyText] = {
    "all": _("All"),
    "channel": _("Channel"),
    "category": _("Category"),
    "desk_team": _("Team"),
    "engineer": _("Engineer"),
    "root_cause": _("Root cause"),
    "responsible": _("Responsible"),
}
RESPONSIBLE: dict[str, LazyText] = {
    "department": _("A department"),
    "engineer": _("An engineer"),
    "partner": _("A partner"),
}
_MODELS: dict[str, type[DeskTeam] | type[TicketCategory] | type[Engineer] | type[RootCause]] = {
    "desk_team": DeskTeam,
    "category": TicketCategory,
    "engineer": Engineer,
    "root_cause": RootCause,
}


def names(session: Session, dimension: str, keys: Iterable[str]) -> dict[str, str]:
    """What to call each key of the dimension, in the reader's language."""
    wanted = set(keys)
    found: dict[str, str] = {"all": text(_("All")), "none": text(_("None"))}
    if dimension == "channel":
        found.update({k: text(v) for k, v in CHANNELS.items()})
    if dimension == "responsible":
        found.update({k: text(v) for k, v in RESPONSIBLE.items()})
    model = _MODELS.get(dimension)
    ids = [int(k) for k in wanted if k.isdigit()]
    if model is not None and ids:
        for id_, name in session.execute(select(model.id, model.name).where(model.id.in_(ids))):
            found[str(id_)] = name
    return {k: found.get(k, k) for k in wanted}
