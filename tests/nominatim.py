"""A loopback HTTP server answering like Nominatim's ``/search?format=json`` (for the real geopy client)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

# What the fake knows: a query containing the key gets that place.
PLACES = {
    "mauldeth road": {
        "lat": "53.4330851",
        "lon": "-2.2290112",
        "display_name": "Mauldeth Road, Withington, Manchester, M20, United Kingdom",
    },
    "oxford road": {
        "lat": "53.4668498",
        "lon": "-2.2339094",
        "display_name": "Oxford Road, Manchester, M13, United Kingdom",
    },
    "null island": {"lat": "0", "lon": "0", "display_name": "Null Island"},
}


class Handler(BaseHTTPRequestHandler):
    """Serves /search like Nominatim; records every query it was asked."""

    server: Any

    def do_GET(self) -> None:
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append(
            {"path": url.path, **params, "user_agent": self.headers.get("User-Agent")}
        )
        if url.path != "/search" or params.get("format") != "json":
            self._send(400, {"error": "bad request"})
            return
        query = params.get("q", "").lower()
        if "slow" in query:
            time.sleep(self.server.slow_s)
        if "broken" in query:
            self._send(500, {"error": "internal"})
            return
        matches = [dict(place, place_id=i) for i, (key, place) in enumerate(PLACES.items()) if key in query]
        self._send(200, matches[: int(params.get("limit", "10"))])

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""


@contextmanager
def nominatim_server(slow_s: float = 2.0) -> Iterator[Any]:
    """Run the fake on 127.0.0.1 at a free port; yields the server (``.domain``, ``.requests``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    server.slow_s = slow_s
    server.domain = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
