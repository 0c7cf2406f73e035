"""Webhooks: endpoints an admin subscribes to our events, calls signed per Standard Webhooks, replay.

Every call carries ``webhook-id`` (the same on every try and on a replay, so receivers can drop
duplicates), ``webhook-timestamp`` and ``webhook-signature``, made with the kept ``standardwebhooks``
library from the endpoint's own secret. The body is ``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from dispatch.access import Actor, Role, require_role
from dispatch.db import utcnow
from dispatch.errors import Invalid, NotFound
from dispatch.i18n import _
from dispatch.listing import Page, paginate
from dispatch.notifications.email import PermanentFailure
from dispatch.notifications.models import (
    Channel,
    DeliveryStatus,
    Notification,
    WebhookEndpoint,
    new_webhook_secret,
)
from dispatch.notifications.outbox import EVENTS

ADMINS = frozenset({Role.ADMIN})
USER_AGENT = "field-dispatch-webhooks/1"
MAX_DETAIL = 500


def body_of(notification: Notification, data: dict[str, Any]) -> str:
    """The JSON body of a webhook call (the same bytes on every try)."""
    return json.dumps(
        {"type": notification.event, "timestamp": notification.created_at.isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


# --- where a call may go ------------------------------------------------------------------------
#
# An admin types the endpoint's address, so a call must not become a way into the network the
# service runs in (a metadata service, the database, an admin page on loopback). The address the
# socket really connected to is checked after connecting, whatever the name resolved to then (so a
# name that resolves to a public address once and a private one later gains nothing); redirects are
# not followed and no proxy from the environment is used. DISPATCH_WEBHOOK_ALLOW_PRIVATE=1 allows
# private, loopback and link-local addresses for receivers inside the company's own network.


class BlockedAddress(PermanentFailure):
    """The endpoint's address is one a webhook call may not reach."""


def reachable(address: str) -> bool:
    """Whether a call may go to this IP address: a public unicast one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_peer(sock: socket.socket | None, host: str) -> None:
    if sock is None:
        return
    address = sock.getpeername()[0]
    if not reachable(address):
        sock.close()
        raise BlockedAddress(
            f"refused: {host} is at {address}, a private, loopback or reserved address "
            "(DISPATCH_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
        )


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx comes back as an HTTPError: a failed try that names the status


_OPENERS = {
    False: urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirects(), _CheckedHTTPHandler(), _CheckedHTTPSHandler()
    ),
    True: urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects()),
}


def post(
    endpoint: WebhookEndpoint, *, msg_id: str, body: str, timeout_s: float, allow_private: bool = False
) -> str:
    """Send one signed call; returns the HTTP status and the start of the answer (raises if not 2xx)."""
    now = utcnow()
    signature = Webhook(endpoint.secret).sign(msg_id, now, body)
    request = urllib.request.Request(
        endpoint.url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with _OPENERS[allow_private].open(request, timeout=timeout_s) as response:
            answer = response.read(MAX_DETAIL).decode(errors="replace")
            return f"HTTP {response.status} {answer}".strip()
    except urllib.error.HTTPError as exc:
        answer = exc.read(MAX_DETAIL).decode(errors="replace")
        detail = f"HTTP {exc.code} {answer}".strip()
        if exc.code == 410:  # Gone: the receiver asks us to stop
            raise PermanentFailure(detail) from exc
        raise RuntimeError(detail) from exc


# --- endpoints (admins) -------------------------------------------------------------------------


def _url(value: str) -> str:
    text = (value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 2000:
        raise Invalid(
            _("give the endpoint's address as an http or https URL"),
            errors={"url": ["an http(s) URL of at most 2000 characters"]},
        )
    return text


def _events(values: Sequence[str]) -> list[str]:
    families = {e.split(".")[0] + ".*" for e in EVENTS}
    clean = sorted({v.strip() for v in values if v.strip()})
    unknown = [v for v in clean if v not in EVENTS and v not in families]
    if unknown:
        raise Invalid(
            _("unknown event types: %(names)s", names=", ".join(unknown)),
            errors={"events": [f"each one of {', '.join(EVENTS)} or a family such as ticket.*"]},
        )
    return clean


def _secret(value: str | None) -> str:
    if value is None:
        return new_webhook_secret()
    text = value.strip()
    try:
        Webhook(text)
    except Exception as exc:
        raise Invalid(
            _("the secret must be a Standard Webhooks secret (whsec_ and base64)"),
            errors={"secret": ["whsec_ followed by base64"]},
        ) from exc
    if not 24 <= len(text) <= 200:
        raise Invalid(
            _("the secret must be a Standard Webhooks secret (whsec_ and base64)"),
            errors={"secret": ["24 to 200 characters"]},
        )
    return text


def create_endpoint(
    session: Session,
    *,
    actor: Actor,
    url: str,
    events: Sequence[str] = (),
    description: str = "",
    secret: str | None = None,
    active: bool = True,
) -> tuple[WebhookEndpoint, bool]:
    """Subscribe a URL to events; returns it and whether its secret was made here (shown once)."""
    require_role(actor, ADMINS, to=_("Your role (%(role)s) may not manage webhooks (allowed: %(allowed)s)."))
    endpoint = WebhookEndpoint(
        url=_url(url),
        events=_events(events),
        description=(description or "").strip()[:200],
        secret=_secret(secret),
        active=active,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret is None


def get_endpoint_or_raise(session: Session, *, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint (admins), or :class:`NotFound`."""
    require_role(actor, ADMINS, to=_("Your role (%(role)s) may not manage webhooks (allowed: %(allowed)s)."))
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("webhook endpoint %(id)s not found", id=endpoint_id))
    return endpoint


def list_endpoints(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 50
) -> Page[WebhookEndpoint]:
    """Every endpoint, oldest first (admins)."""
    require_role(actor, ADMINS, to=_("Your role (%(role)s) may not manage webhooks (allowed: %(allowed)s)."))
    return paginate(
        session, select(WebhookEndpoint).order_by(WebhookEndpoint.id), page=page, page_size=page_size
    )


def update_endpoint(
    session: Session, *, actor: Actor, endpoint_id: int, changes: dict[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description, secret or whether it is active."""
    endpoint = get_endpoint_or_raise(session, actor=actor, endpoint_id=endpoint_id)
    if "url" in changes:
        endpoint.url = _url(changes["url"])
    if "events" in changes:
        endpoint.events = _events(changes["events"])
    if "description" in changes:
        endpoint.description = (changes["description"] or "").strip()[:200]
    if "secret" in changes:
        endpoint.secret = _secret(changes["secret"])
    if "active" in changes:
        endpoint.active = bool(changes["active"])
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, actor: Actor, endpoint_id: int) -> None:
    """Remove an endpoint; calls still waiting for it are dropped (the log keeps what was tried)."""
    endpoint = get_endpoint_or_raise(session, actor=actor, endpoint_id=endpoint_id)
    session.execute(
        update(Notification)
        .where(Notification.endpoint_id == endpoint.id, Notification.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error="the endpoint was deleted")
    )
    session.delete(endpoint)
    session.flush()


def replay(
    session: Session,
    *,
    actor: Actor,
    since: datetime,
    endpoint_id: int | None = None,
    failed_only: bool = False,
    limit: int = 10_000,
) -> list[int]:
    """Send webhook calls made since ``since`` again (same webhook-id); returns the notifications queued."""
    require_role(actor, ADMINS, to=_("Your role (%(role)s) may not replay webhooks (allowed: %(allowed)s)."))
    if endpoint_id is not None:
        get_endpoint_or_raise(session, actor=actor, endpoint_id=endpoint_id)
    stmt = select(Notification).where(
        Notification.channel == Channel.WEBHOOK,
        Notification.created_at >= since,
        Notification.endpoint_id.is_not(None),
        Notification.status != DeliveryStatus.SENDING,
    )
    if endpoint_id is not None:
        stmt = stmt.where(Notification.endpoint_id == endpoint_id)
    if failed_only:
        stmt = stmt.where(Notification.status == DeliveryStatus.FAILED)
    rows = list(session.scalars(stmt.order_by(Notification.id).limit(limit)))
    now = utcnow()
    from dispatch.notifications.outbox import PENDING_KEY

    for row in rows:
        row.status = DeliveryStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.last_error = ""
    session.flush()
    session.info.setdefault(PENDING_KEY, []).extend(row.id for row in rows)
    return [row.id for row in rows]
