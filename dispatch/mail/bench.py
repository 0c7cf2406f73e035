"""Mail-fetch benchmark: 1,000 messages through IMAP onto the desk, against a plain fetch of the same.

``python -m dispatch.mail.bench [--messages 1000] [--postgres-url postgresql+psycopg://...]``
(needs the test extras: pymap). It puts the messages into pymap's in-memory IMAP server on loopback
(new conversations from a few hundred senders, some in Chinese GBK, replies carrying the subject tag,
out-of-office replies and bounces), then in the same run:

- baseline: imap-tools fetches every message by UID and does nothing with it;
- mail-fetch: :func:`dispatch.mail.fetch.fetch_mailbox` on a fresh database (SQLite, and
  PostgreSQL when a URL is given): raw message kept, parsed, threaded or opened as a ticket,
  sender recognised, one transaction per message.

It prints messages per second for each and the ratio to the baseline.
"""

from __future__ import annotations

import base64
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import click
from imap_tools import MailBoxUnencrypted
from sqlalchemy import func, select

from dispatch import migrate
from dispatch.attachments.storage import LocalBlobStore
from dispatch.config import Settings
from dispatch.db import make_engine, make_session_factory, scratch_schema
from dispatch.mail import fetch
from dispatch.mail.loopback import IMAP_PASSWORD, IMAP_USER, imap_server
from dispatch.tickets.models import Ticket

SUPPORT = "support@desk.example.com"
SUBJECTS = ["Boiler makes a noise", "No hot water", "Radiator cold in the hall", "Question about my bill"]
CHINESE = ["空调漏水怎么办", "热水器不工作", "暖气片不热", "账单有疑问"]


def messages(count: int, seed: int = 7) -> list[bytes]:
    """The mailbox's content: 70 % new conversations, 20 % tagged replies, 5 % out-of-office, 5 % bounces."""
    rng = random.Random(seed)
    senders = [f"customer{n}@example.net" for n in range(300)]
    out: list[bytes] = []
    opened: list[tuple[int, str]] = []  # (ticket number the fetch will give it, sender)
    for n in range(count):
        kind = rng.random()
        sender = rng.choice(senders)
        if kind < 0.05:
            message = EmailMessage()
            message["From"] = f"<{sender}>"
            message["Subject"] = "Out of office"
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("I am away until Monday.")
        elif kind < 0.10:
            message = EmailMessage()
            message["From"] = "MAILER-DAEMON@example.net"
            message["Return-Path"] = "<>"
            message["Subject"] = "Undelivered Mail Returned to Sender"
            message.set_content("Your message could not be delivered.")
        elif kind < 0.30 and opened:
            number, sender = rng.choice(opened)
            message = EmailMessage()
            message["From"] = f"<{sender}>"
            message["Subject"] = f"Re: [T-{number:06d}] more details"
            message.set_content("It happened again this morning.\n\nOn Mon, support wrote:\n> earlier text\n")
        elif rng.random() < 0.3:
            subject = rng.choice(CHINESE)
            body = "您好，" + subject + "，请尽快联系我。"  # noqa: RUF001 - Chinese punctuation
            raw = (
                f"From: <{sender}>\r\nTo: {SUPPORT}\r\n"
                f"Subject: =?gbk?B?{base64.b64encode(subject.encode('gbk')).decode()}?=\r\n"
                f"Message-ID: <bench-{n}@example.net>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ).encode() + base64.encodebytes(body.encode("gb18030"))
            out.append(raw)
            opened.append((len(opened) + 1, sender))
            continue
        else:
            message = EmailMessage()
            message["From"] = f"<{sender}>"
            message["Subject"] = rng.choice(SUBJECTS)
            message.set_content("Hello, " + message["Subject"].lower() + ". Can someone come this week?")
            opened.append((len(opened) + 1, sender))
        message["To"] = SUPPORT
        message["Message-ID"] = f"<bench-{n}@example.net>"
        out.append(message.as_bytes())
    return out


def _settings(port: int, database_url: str, folder: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
        support_address=SUPPORT,
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security="none",
        imap_username=IMAP_USER,
        imap_password=IMAP_PASSWORD,
        attachments_path=str(folder),
    )


def baseline(port: int) -> float:
    """Seconds for imap-tools to fetch every message by UID, doing nothing with them."""
    started = time.perf_counter()
    with MailBoxUnencrypted("127.0.0.1", port).login(IMAP_USER, IMAP_PASSWORD) as box:
        uids = box.uids("ALL")
        for start in range(0, len(uids), fetch.BATCH):
            chunk = uids[start : start + fetch.BATCH]
            for message in box.fetch(
                uid_list=chunk, mark_seen=False, bulk=len(chunk) if len(chunk) > 1 else False
            ):
                assert message.obj is not None
    return time.perf_counter() - started


@contextmanager
def _database(kind: str, postgres_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    assert postgres_url
    with scratch_schema(postgres_url, "mailbench") as url:
        yield url


def run_fetch(port: int, database_url: str) -> tuple[float, dict[str, int], int]:
    """Seconds for mail-fetch of the whole mailbox on a fresh database; outcomes; tickets made."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(port, database_url, Path(folder))
        started = time.perf_counter()
        result = fetch.fetch_mailbox(sessions, LocalBlobStore(Path(folder)), settings, "INBOX")
        seconds = time.perf_counter() - started
    with sessions() as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    engine.dispose()
    return seconds, result.outcomes, tickets


@click.command()
@click.option("--messages", "count", default=1000, show_default=True, type=click.IntRange(10, 20000))
@click.option(
    "--postgres-url", default=None, help="also run on PostgreSQL (a scratch schema, dropped afterwards)"
)
def main(count: int, postgres_url: str | None) -> None:
    """Fetch ``count`` messages from a loopback IMAP server onto the desk, against a plain fetch."""
    with imap_server() as port:
        with MailBoxUnencrypted("127.0.0.1", port).login(IMAP_USER, IMAP_PASSWORD) as box:
            for raw in messages(count):
                box.append(raw, "INBOX")
        base = baseline(port)
        click.echo(
            f"{count} messages on pymap (loopback); plain imap-tools fetch: {base:.2f} s ({count / base:.0f}/s)"
        )
        click.echo("| database | mail-fetch | messages/s | plain fetch | ratio | outcomes | tickets |")
        click.echo("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
        for kind in ["sqlite"] + (["postgresql"] if postgres_url else []):
            with _database(kind, postgres_url) as url:
                seconds, outcomes, tickets = run_fetch(port, url)
            shown = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            click.echo(
                f"| {kind} | {seconds:.1f} s | {count / seconds:.0f} | {base:.2f} s | {seconds / base:.1f}x | {shown} | {tickets} |"
            )


if __name__ == "__main__":
    main()
