"""Signed mail identifiers: the reply address of a ticket and our own Message-IDs.

A reply that comes back to ``support+T123.<sig>@example.com`` or refers to
``<t123.n45.<sig>@example.com>`` belongs to ticket 123 only if the signature (an HMAC of the
secret key) matches, so nobody can drop mail into another customer's ticket by guessing a number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import parseaddr

SIGNATURE_CHARS = 12
_REPLY = re.compile(r"^(?P<base>[^+@]+)\+t(?P<ticket>\d{1,12})\.(?P<sig>[0-9a-f]+)@(?P<domain>.+)$", re.I)
_MESSAGE_ID = re.compile(
    r"^<?t(?P<ticket>\d{1,12})\.n(?P<n>\d{1,15})\.(?P<sig>[0-9a-f]+)@(?P<domain>[^>]+)>?$", re.I
)


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def domain_of(address: str) -> str:
    """The domain of an address (``support@example.com`` -> ``example.com``)."""
    return parseaddr(address)[1].rpartition("@")[2].lower() or "localhost"


def reply_address(support_address: str, ticket_id: int, secret: str) -> str:
    """``support+T123.<sig>@domain``: replies to it thread into ticket 123."""
    local, _, domain = parseaddr(support_address)[1].partition("@")
    return f"{local}+T{ticket_id}.{_sign(secret, f'reply:{ticket_id}')}@{domain}"


def ticket_from_address(address: str, secret: str) -> int | None:
    """The ticket a signed reply address stands for, or None (not ours, or the signature is wrong)."""
    match = _REPLY.match(parseaddr(address)[1].strip())
    if match is None:
        return None
    ticket_id = int(match["ticket"])
    if not hmac.compare_digest(match["sig"].lower(), _sign(secret, f"reply:{ticket_id}")):
        return None
    return ticket_id


def message_id(ticket_id: int | None, notification_id: int, domain: str, secret: str) -> str:
    """Our Message-ID for an outgoing email (``<t123.n45.<sig>@domain>``; t0 when not about a ticket)."""
    ticket = ticket_id or 0
    return f"<t{ticket}.n{notification_id}.{_sign(secret, f'msg:{ticket}.{notification_id}')}@{domain}>"


def ticket_from_message_id(value: str, secret: str) -> int | None:
    """The ticket one of our signed Message-IDs was about, or None."""
    match = _MESSAGE_ID.match(value.strip())
    if match is None:
        return None
    ticket, n = int(match["ticket"]), int(match["n"])
    if not ticket or not hmac.compare_digest(match["sig"].lower(), _sign(secret, f"msg:{ticket}.{n}")):
        return None
    return ticket
