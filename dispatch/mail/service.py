"""What the desk sees of incoming mail: each mailbox's state, and every message as it came."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, require_role
from dispatch.errors import NotFound
from dispatch.i18n import _
from dispatch.listing import Page, paginate
from dispatch.mail import parsing
from dispatch.mail.models import InboundAttachment, InboundMail, InboundOutcome, MailboxState


@dataclass(frozen=True)
class MailboxStatus:
    """A configured mailbox and how its fetching goes."""

    mailbox: str
    configured: bool
    uidvalidity: int | None
    last_uid: int | None
    fetched: int
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last_error: str


def mailbox_status(session: Session, *, actor: Actor, configured: list[str]) -> list[MailboxStatus]:
    """Every configured mailbox and every mailbox fetched before (admins)."""
    require_role(
        actor,
        {Role.ADMIN},
        to=_("Your role (%(role)s) may not read the mailboxes' status (allowed: %(allowed)s)."),
    )
    states = {s.mailbox: s for s in session.scalars(select(MailboxState))}
    names = list(dict.fromkeys([*configured, *sorted(states)]))
    found = []
    for name in names:
        state = states.get(name)
        found.append(
            MailboxStatus(
                mailbox=name,
                configured=name in configured,
                uidvalidity=state.uidvalidity if state else None,
                last_uid=state.last_uid if state else None,
                fetched=state.fetched if state else 0,
                last_run_at=state.last_run_at if state else None,
                last_ok_at=state.last_ok_at if state else None,
                last_error=state.last_error if state else "",
            )
        )
    return found


def list_inbound(
    session: Session,
    *,
    actor: Actor,
    outcome: InboundOutcome | None = None,
    ticket_id: int | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[InboundMail]:
    """Messages that came in, newest first (staff)."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read incoming mail (allowed: %(allowed)s).")
    )
    stmt = select(InboundMail)
    if outcome is not None:
        stmt = stmt.where(InboundMail.outcome == outcome)
    if ticket_id is not None:
        stmt = stmt.where(InboundMail.ticket_id == ticket_id)
    return paginate(session, stmt.order_by(InboundMail.id.desc()), page=page, page_size=page_size)


@dataclass(frozen=True)
class Original:
    """A message as it came: its full text (quotes and all), the part shown, and its files."""

    mail: InboundMail
    full_text: str
    shown_text: str
    attachments: list[InboundAttachment]


def original(session: Session, *, actor: Actor, inbound_id: int) -> Original:
    """One incoming message parsed again from its raw bytes (staff)."""
    require_role(
        actor, STAFF, to=_("Your role (%(role)s) may not read incoming mail (allowed: %(allowed)s).")
    )
    found = session.get(InboundMail, inbound_id)
    if found is None:
        raise NotFound(_("incoming message %(id)s not found", id=inbound_id))
    parsed = parsing.parse(found.raw)
    files = list(
        session.scalars(
            select(InboundAttachment)
            .where(InboundAttachment.inbound_mail_id == found.id)
            .order_by(InboundAttachment.id)
        )
    )
    return Original(
        mail=found, full_text=parsed.text, shown_text=parsing.visible_part(parsed.text), attachments=files
    )
