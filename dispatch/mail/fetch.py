"""``dispatch mail-fetch``: take new messages from IMAP mailboxes by UID, each in its own transaction.

For each mailbox the last UID taken is remembered with the mailbox's UIDVALIDITY; when the server
changes UIDVALIDITY (the mailbox was rebuilt) every message is looked at again, and the Message-IDs
already on tickets keep them from being stored twice. The raw message is stored first, so a message
that cannot be handled is kept (outcome ``failed``, with the reason) and never blocks the mailbox.
Nothing is marked as read or moved on the server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.attachments.storage import BlobStore
from dispatch.config import Settings
from dispatch.db import utcnow
from dispatch.mail import intake
from dispatch.mail.models import InboundMail, InboundOutcome, MailboxState

log = logging.getLogger(__name__)
BATCH = 50


class RawMessage(MailMessage):
    """imap-tools' message that also keeps the bytes exactly as the server sent them."""

    def __init__(self, fetch_data: list[Any]) -> None:
        raw, _uid, _flags = self._get_message_data_parts(fetch_data)
        super().__init__(fetch_data)
        self.raw: bytes = raw


@dataclass
class FetchResult:
    """What one run took from one mailbox."""

    mailbox: str
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    uidvalidity_changed: bool = False
    seconds: float = 0.0


@contextmanager
def connect(settings: Settings, mailbox: str) -> Iterator[Any]:
    """A logged-in imap-tools mailbox on the configured server, with ``mailbox`` selected."""
    kinds: dict[str, Any] = {"ssl": MailBox, "starttls": MailBoxStartTls, "none": MailBoxUnencrypted}
    client = kinds[settings.imap_security](settings.imap_host, settings.imap_port, timeout=60)
    client.email_message_class = RawMessage
    try:
        box = client.login(settings.imap_username, settings.imap_password, initial_folder=mailbox)
    except BaseException:
        client.client.shutdown()  # a refused login leaves the connection open otherwise
        raise
    with box:
        yield box


def _state(session: Session, mailbox: str) -> MailboxState:
    state = session.get(MailboxState, mailbox, with_for_update=True)
    if state is None:
        state = MailboxState(mailbox=mailbox, uidvalidity=0, last_uid=0, fetched=0, last_error="")
        session.add(state)
        session.flush()
    return state


def _handle(session: Session, store: BlobStore, settings: Settings, inbound: InboundMail) -> None:
    found = intake.take(
        session,
        store,
        inbound=inbound,
        secret=settings.secret_key,
        support_address=settings.support_address,
        phone_region=settings.phone_region,
        max_bytes=settings.attachment_max_bytes,
        max_pixels=settings.attachment_max_pixels,
    )
    inbound.outcome, inbound.reason = found.outcome, found.reason
    inbound.ticket_id, inbound.ticket_message_id = found.ticket_id, found.message_id


def store_one(
    sessions: Callable[[], Session],
    store: BlobStore,
    settings: Settings,
    *,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    raw: bytes,
) -> InboundOutcome:
    """Keep one message and put it on the desk in one transaction that also moves the mailbox's last UID."""
    with sessions() as session:
        try:
            state = _state(session, mailbox)
            inbound = InboundMail(
                mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw, outcome=InboundOutcome.FAILED
            )
            session.add(inbound)
            session.flush()
            _handle(session, store, settings, inbound)
            state.last_uid, state.fetched = max(state.last_uid, uid), state.fetched + 1
            session.commit()
            return inbound.outcome
        except IntegrityError:
            session.rollback()
            stored = session.scalar(
                select(InboundMail.outcome).where(
                    InboundMail.mailbox == mailbox,
                    InboundMail.uidvalidity == uidvalidity,
                    InboundMail.uid == uid,
                )
            )
            if stored is not None:  # another run took it at the same moment
                return InboundOutcome.DUPLICATE
            error: Exception = RuntimeError("the message clashed with data saved at the same moment")
        except Exception as exc:
            session.rollback()
            error = exc
    log.warning("message %s/%s could not be put on the desk: %s", mailbox, uid, error, exc_info=error)
    with sessions() as session:  # keep the raw message with the reason, and move on
        state = _state(session, mailbox)
        session.add(
            InboundMail(
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                raw=raw,
                outcome=InboundOutcome.FAILED,
                reason=f"{type(error).__name__}: {error}"[:2000],
            )
        )
        state.last_uid, state.fetched = max(state.last_uid, uid), state.fetched + 1
        session.commit()
    return InboundOutcome.FAILED


def fetch_mailbox(
    sessions: Callable[[], Session],
    store: BlobStore,
    settings: Settings,
    mailbox: str,
    *,
    limit: int | None = None,
) -> FetchResult:
    """Take the messages that arrived in ``mailbox`` since the last run."""
    result = FetchResult(mailbox=mailbox)
    started = time.monotonic()
    with sessions() as session:
        state = _state(session, mailbox)
        state.last_run_at = utcnow()
        session.commit()
        last_uid, known_validity = state.last_uid, state.uidvalidity
    try:
        with connect(settings, mailbox) as box:
            status = box.folder.status(mailbox, ["UIDVALIDITY", "UIDNEXT"])
            validity = int(status["UIDVALIDITY"])
            if validity != known_validity:
                result.uidvalidity_changed = known_validity != 0
                last_uid = 0
                with sessions() as session:
                    state = _state(session, mailbox)
                    state.uidvalidity, state.last_uid = validity, 0
                    session.commit()
            uids = [int(u) for u in box.uids(f"UID {last_uid + 1}:*") if int(u) > last_uid]
            uids.sort()
            if limit is not None:
                uids = uids[:limit]
            for start in range(0, len(uids), BATCH):
                chunk = [str(u) for u in uids[start : start + BATCH]]
                for message in box.fetch(
                    uid_list=chunk, mark_seen=False, bulk=len(chunk) if len(chunk) > 1 else False
                ):
                    outcome = store_one(
                        sessions,
                        store,
                        settings,
                        mailbox=mailbox,
                        uidvalidity=validity,
                        uid=int(message.uid),
                        raw=message.raw,
                    )
                    result.fetched += 1
                    result.outcomes[outcome.value] = result.outcomes.get(outcome.value, 0) + 1
    except Exception as exc:
        with sessions() as session:
            state = _state(session, mailbox)
            state.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            session.commit()
        raise
    with sessions() as session:
        state = _state(session, mailbox)
        state.last_ok_at, state.last_error = utcnow(), ""
        session.commit()
    result.seconds = time.monotonic() - started
    return result


def mailboxes(settings: Settings) -> list[str]:
    """The mailboxes to fetch (``DISPATCH_IMAP_MAILBOXES``, comma-separated)."""
    return [name.strip() for name in settings.imap_mailboxes.split(",") if name.strip()]


def fetch_all(sessions: Callable[[], Session], store: BlobStore, settings: Settings) -> list[FetchResult]:
    """Take new mail from every configured mailbox."""
    if not settings.imap_host:
        raise RuntimeError("no IMAP server: set DISPATCH_IMAP_HOST to fetch mail")
    return [fetch_mailbox(sessions, store, settings, name) for name in mailboxes(settings)]
