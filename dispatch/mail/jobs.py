"""The ``mail`` job: fetch new messages from every configured mailbox (queued by ``dispatch scheduler``)."""

from __future__ import annotations

import logging

from dispatch.attachments.storage import LocalBlobStore
from dispatch.mail import fetch as mail_fetch
from dispatch.notifications import wiring
from dispatch.tasks.runtime import current_factory

QUEUE = "desk"
log = logging.getLogger(__name__)


def fetch() -> dict[str, int]:
    """Fetch every configured mailbox once; returns messages taken per mailbox."""
    factory = current_factory()
    with factory() as session:
        settings = wiring.for_session(session).settings
    store = LocalBlobStore(settings.attachments_folder)
    results = mail_fetch.fetch_all(factory, store, settings)
    for result in results:
        if result.fetched:
            log.info("mail %s: %d messages %s", result.mailbox, result.fetched, result.outcomes)
    return {result.mailbox: result.fetched for result in results}
