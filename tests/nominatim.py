"""A loopback HTTP server answering like Nominatim's ``/search?format=json`` (for the real geopy client)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.loopback import JsonHandler, serve

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


class Handler(JsonHandler):
    """Serves /search like Nominatim; records every query it was asked."""

    server: Any

    def do_GET(self) -> None:  # noqa: N802 (http.server calls it by this name)
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append(
            {"path": url.path, **params, "user_agent": self.headers.get("User-Agent")}
        )
        if url.path != "/search" or params.get("format") != "json":
            self.send_json(400, {"error": "bad request"})
            return
        query = params.get("q", "").lower()
        if "slow" in query:
            time.sleep(self.server.slow_s)
        if "broken" in query:
            self.send_json(500, {"error": "internal"})
            return
        matches = [dict(place, place_id=i) for i, (key, place) in enumerate(PLACES.items()) if key in query]
        self.send_json(200, matches[: int(params.get("limit", "10"))])


@contextmanager
def nominatim_server(slow_s: float = 2.0) -> Iterator[Any]:
    """Run the fake on 127.0.0.1 at a free port; yields the server (``.domain``, ``.requests``)."""
    with serve(Handler) as running:
        server: Any = running
        server.requests = []
        server.slow_s = slow_s
        server.domain = f"127.0.0.1:{server.server_address[1]}"
        yield server
