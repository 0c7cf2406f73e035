"""pymap's in-memory IMAP server in a thread of this process, on loopback: the mail tests and the
mail-fetch benchmark fetch from it with the real client (imap-tools). Needs the test extras (pymap)."""

from __future__ import annotations

import asyncio
import socket
import threading
from argparse import Namespace
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any

IMAP_USER = "demouser"
IMAP_PASSWORD = "demopass"


def free_port() -> int:
    """A TCP port nobody listens on now (on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def imap_server() -> Iterator[int]:
    """pymap's in-memory IMAP server on 127.0.0.1 at a free port; yields the port (login demouser/demopass)."""
    from pymap.backend.dict import DictBackend
    from pymap.imap import IMAPService
    from pysasl.hashing import Cleartext

    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: list[asyncio.Future[None]] = []
    failure: list[BaseException] = []

    async def main() -> None:
        args = Namespace(
            debug=False,
            host=["127.0.0.1"],
            port=str(port),
            cert=None,
            key=None,
            tls=False,
            inherited_sockets=None,
            proxy_protocol=None,
            demo_data=False,
            demo_user=IMAP_USER,
            demo_password=IMAP_PASSWORD,
            passlib_cfg=None,
        )
        # Plain-text password hashing: the default PBKDF2 costs half a second per login.
        backend, config = await DictBackend.init(args, hash_context=Cleartext())
        config.apply_context()
        stop.append(loop.create_future())
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            ready.set()
            await stop[0]

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
        finally:
            # Connections still open (a client that did not log out) end here, not in a closed loop.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())

    thread = threading.Thread(target=run, name="pymap", daemon=True)
    thread.start()
    if not ready.wait(15) or failure:
        raise RuntimeError(f"pymap did not start: {failure}")
    try:
        yield port
    finally:

        def finish(*_: Any) -> None:
            if stop and not stop[0].done():
                stop[0].set_result(None)

        loop.call_soon_threadsafe(finish)
        thread.join(10)
        loop.close()
