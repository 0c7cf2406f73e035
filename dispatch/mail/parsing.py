"""Reading an email as it came: headers in any charset, the text, the attachments, and whether a
machine sent it (auto-replies, bounces, bulk mail: never answered, so no mail loops)."""

# ruff: noqa: RUF001, RUF002 - Chinese mail clients write full-width colons
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr

import quotequail

CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ascii": "utf-8",
}
"""Chinese mail is often labelled GB2312 but written in its supersets; GB18030 reads them all."""
_MESSAGE_IDS = re.compile(r"<[^<>\s]+>")


@dataclass
class Part:
    """A file that came with the message."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    """What the desk needs from one email."""

    message_id: str
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Part] = field(default_factory=list)
    automatic: str | None = None
    """Why a machine sent it (``Auto-Submitted: auto-replied``, ``bounce``...), or None for a person."""


def _charset(name: str | None) -> str:
    clean = (name or "utf-8").strip().lower()
    return CHARSET_ALIASES.get(clean, clean)


def _decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(_charset(charset), errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def header(message: Message, name: str) -> str:
    """A header decoded from RFC 2047 words in whatever charset they name (GBK, GB18030, UTF-8...)."""
    value = message.get(name)
    if value is None:
        return ""
    text = []
    for chunk, charset in decode_header(str(value)):
        text.append(_decode(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(text).split())


def _html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>", "\n", text)
    text = re.sub(r"(?s)<[^>]+>", "", text)
    for entity, char in (
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(entity, char)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def automatic_reason(message: Message, from_address: str) -> str | None:
    """Why this message was sent by a machine, or None (RFC 3834, bounces, bulk and list mail)."""
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    return_path = message.get("Return-Path")
    if return_path is not None and parseaddr(str(return_path))[1] == "" and "<>" in str(return_path):
        return "Return-Path <> (bounce)"
    local = from_address.partition("@")[0].lower()
    if local in ("mailer-daemon", "postmaster") or message.get("X-Failed-Recipients") is not None:
        return "bounce"
    return None


def parse(raw: bytes) -> Parsed:
    """Read one raw message (kept as it came; this can run again on it at any time)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    from_name, from_address = parseaddr(header(message, "From"))
    recipients = [
        addr.lower()
        for _, addr in getaddresses(
            [header(message, n) for n in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
        )
        if addr
    ]
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Part] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").lower()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if filename or "attachment" in disposition or not ctype.startswith("text/"):
            if ctype in ("message/delivery-status", "text/rfc822-headers"):
                continue
            name = (header(part, "Content-Disposition") and filename) or filename or ""
            if filename:
                chunks = decode_header(filename)
                name = "".join(_decode(c, cs) if isinstance(c, bytes) else c for c, cs in chunks)
            attachments.append(Part(filename=name[:255], content_type=ctype, data=data))
        elif ctype == "text/plain":
            plain.append(_decode(data, part.get_content_charset()))
        elif ctype == "text/html":
            html.append(_decode(data, part.get_content_charset()))
    text = "\n".join(plain) if plain else _html_to_text("\n".join(html))
    return Parsed(
        message_id=(message.get("Message-ID") or "").strip()[:255],
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        recipients=recipients,
        subject=header(message, "Subject")[:300],
        text=text.replace("\r\n", "\n").strip(),
        in_reply_to=_MESSAGE_IDS.findall(str(message.get("In-Reply-To") or "")),
        references=_MESSAGE_IDS.findall(str(message.get("References") or "")),
        attachments=attachments,
        automatic=automatic_reason(message, from_address.strip().lower()),
    )


# --- quoted text --------------------------------------------------------------------------------

REPLY_MARKERS = ("## Please type your reply above this line ##", "## 请在此行上方输入您的回复 ##")
"""The line our own emails put above the quoted conversation (see the templates), in each language."""
QUOTE_MARKERS = [
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$"),  # QQ Mail
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.I),  # Outlook, older clients
    re.compile(r"^\s*(发件人|發件人)\s*[:：]"),  # 163, Foxmail, QQ ("发件人: ...")
    re.compile(r"^\s*From:\s.+$"),  # Outlook ("From: ... Sent: ...")
    re.compile(r"^\s*On\s.+wrote:\s*$", re.I),  # Gmail, Apple Mail
    re.compile(r"^\s*在\s*.+写道\s*[:：]\s*$"),  # Gmail and Apple Mail in Chinese
    re.compile(r"^\s*Le\s.+a écrit\s*:\s*$"),
    re.compile(r"^\s*Am\s.+schrieb.*:\s*$"),
]


def visible_part(text: str) -> str:
    """The new words of a reply, without the conversation it quotes (the full text is kept apart)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if any(marker in line for marker in REPLY_MARKERS):
            lines = lines[:index]
            break
    cut = "\n".join(lines)
    try:
        pieces = quotequail.quote(cut)
        cut = "".join(piece for expanded, piece in pieces if expanded) if pieces else cut
    except Exception:  # quotequail gives up on odd input: keep our own markers only
        pass
    kept: list[str] = []
    for line in cut.split("\n"):
        if any(pattern.match(line) for pattern in QUOTE_MARKERS):
            break
        kept.append(line)
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|sv|antw)\s*(\[\d+\])?\s*[:：]|回复\s*[:：]|答复\s*[:：]|转发\s*[:：])\s*", re.I
)
_TAG = re.compile(r"\[\s*T-(\d{1,9})\s*\]", re.I)


def clean_subject(subject: str) -> str:
    """The subject without reply and forward prefixes (``Re:``, ``Fwd:``, ``回复：``...)."""
    text = subject
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


def subject_tag(subject: str) -> int | None:
    """The ticket a subject tag ``[T-000123]`` names, or None."""
    match = _TAG.search(subject)
    return int(match.group(1)) if match else None
