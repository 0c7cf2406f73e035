"""Outgoing email: build the MIME message (text + HTML, our headers) and hand it to SMTP or a folder.

SMTP (``smtplib``) is used whenever ``DISPATCH_SMTP_HOST`` is set. Without it, demo and development
installations write each message as an ``.eml`` file into a folder instead, and elsewhere email is
off (the delivery log says so).
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from dispatch.config import Settings
from dispatch.notifications.rendering import Rendered


class PermanentFailure(Exception):
    """The receiver refused the message for good: trying again would not help."""


class EmailOff(PermanentFailure):
    """No mail server is configured."""


def sender(settings: Settings) -> str:
    """The From header: ``DISPATCH_MAIL_FROM``, else the support address."""
    return settings.mail_from or formataddr(("Service desk", parseaddr(settings.support_address)[1]))


def build(
    *,
    settings: Settings,
    rendered: Rendered,
    to_address: str,
    to_name: str,
    message_id: str,
    automatic: bool,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    language: str | None = None,
) -> EmailMessage:
    """One email: text and HTML alternatives in UTF-8, headers encoded per RFC 2047 where needed."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender(settings)
    message["To"] = Address(display_name=to_name, addr_spec=to_address) if to_name else to_address
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    if reply_to:
        message["Reply-To"] = reply_to
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    if language:
        message["Content-Language"] = language.replace("_", "-")
    if automatic:
        # RFC 3834: we sent it by ourselves; well-behaved responders do not answer it.
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    # Base64 for any non-ASCII text: it passes every server, 8BITMIME or not.
    message.set_content(rendered.text, charset="utf-8", cte=_cte(rendered.text))
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte=_cte(rendered.html))
    return message


def _cte(text: str) -> str:
    return "7bit" if text.isascii() else "base64"


def send(message: EmailMessage, settings: Settings) -> str:
    """Send by SMTP or write to the outbox folder; returns what the server said. Raises on failure:
    :class:`PermanentFailure` for a refusal that will not change, anything else for a retry."""
    backend = settings.email_backend
    if backend == "off":
        raise EmailOff("email is off: set DISPATCH_SMTP_HOST to send mail")
    if backend == "file":
        return _to_folder(message, settings.mail_outbox_folder)
    return _smtp(message, settings)


def _to_folder(message: EmailMessage, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    name = str(message["Message-ID"]).strip("<>").replace("/", "_").replace("@", "_at_")
    path = folder / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    return f"written to {path}"


def _smtp(message: EmailMessage, settings: Settings) -> str:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    try:
        smtp.ehlo()
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        detail = f"accepted by {settings.smtp_host}:{settings.smtp_port} for {message['To']}"
        return f"{detail} (some recipients refused: {refused})" if refused else detail
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
