"""Travel providers: haversine figures, speed of a large matrix, and the OSRM table client."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from optimizer import EuclideanTravel, HaversineTravel, Location, OsrmTravel
from tests.loopback import JsonHandler, serve

LONDON = Location(51.5074, -0.1278)
PARIS = Location(48.8566, 2.3522)


def test_haversine_london_paris() -> None:
    tm = HaversineTravel(speed_kmh=60, detour_factor=1.0).matrix([LONDON, PARIS])
    assert tm.distances[0, 0] == 0
    assert 343_000 < tm.distances[0, 1] < 345_000  # great-circle ~343.5 km
    assert tm.durations[0, 1] == pytest.approx(tm.distances[0, 1] / (60 / 3.6), abs=1)
    assert tm.distances[0, 1] == tm.distances[1, 0]


def test_detour_and_speed_scale_the_matrix() -> None:
    plain = HaversineTravel(speed_kmh=30, detour_factor=1.0).matrix([LONDON], [PARIS])
    slow = HaversineTravel(speed_kmh=15, detour_factor=1.5).matrix([LONDON], [PARIS])
    assert slow.distances[0, 0] == pytest.approx(1.5 * plain.distances[0, 0], abs=1)
    assert slow.durations[0, 0] == pytest.approx(3 * plain.durations[0, 0], abs=2)


def test_thousand_by_thousand_in_one_vectorised_call() -> None:
    rng = np.random.default_rng(1)
    pts = [Location(53.4 + a, -2.3 + b) for a, b in rng.uniform(-0.1, 0.1, (1000, 2))]
    tm = HaversineTravel().matrix(pts)
    # Its speed is measured by `python -m optimizer.bench travel` (45 ms on a quiet machine), not here.
    assert tm.distances.shape == (1000, 1000)
    assert tm.distances.dtype == np.int64


def test_euclidean_truncates_like_solomon() -> None:
    tm = EuclideanTravel(scale=10).matrix([Location(0, 0)], [Location(1, 1), Location(3, 4)])
    assert tm.distances.tolist() == [[14, 50]]  # floor(14.142...), exactly 50
    assert tm.durations.tolist() == [[14, 50]]


class _Table(JsonHandler):
    """A loopback stand-in for OSRM's /table/v1: straight-line metres at 10 m/s."""

    calls: list[int] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server calls it by this name)
        url = urlsplit(self.path)
        parts = url.path.split("/")
        if parts[1:4] != ["table", "v1", "driving"]:
            self.send_json(400, {"code": "InvalidUrl", "message": "unknown profile"})
            return
        coords = [tuple(map(float, c.split(","))) for c in parts[4].split(";")]
        q = parse_qs(url.query)
        src = [int(i) for i in q["sources"][0].split(";")]
        dst = [int(i) for i in q["destinations"][0].split(";")]
        assert "distance" in q["annotations"][0]
        type(self).calls.append(len(coords))
        pts = [Location(lat, lon) for lon, lat in coords]
        tm = HaversineTravel(speed_kmh=36, detour_factor=1.0).matrix(
            [pts[i] for i in src], [pts[j] for j in dst]
        )
        durations: list[list[float | None]] = tm.durations.astype(float).tolist()
        if len(src) > 1 and len(dst) > 1:
            durations[0][1] = None  # an unroutable pair
        self.send_json(200, {"code": "Ok", "durations": durations, "distances": tm.distances.tolist()})


@pytest.fixture
def osrm() -> Iterator[str]:
    _Table.calls = []
    with serve(_Table) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_osrm_client_assembles_blocks(osrm: str) -> None:
    pts = [Location(53.40 + 0.01 * i, -2.30 + 0.005 * i) for i in range(7)]
    client = OsrmTravel(osrm, max_table_size=6, timeout_s=5)
    tm = client.matrix(pts)
    ref = HaversineTravel(speed_kmh=36, detour_factor=1.0).matrix(pts)
    assert tm.distances.tolist() == ref.distances.tolist()
    assert max(_Table.calls) <= 6  # no request names more than max_table_size places
    assert len(_Table.calls) == 9  # 3 x 3 blocks of at most 3 sources and 3 destinations
    assert tm.durations[0, 1] >= 10**9  # the unroutable pair is marked unreachable


def test_osrm_error_code_raises(osrm: str) -> None:
    with pytest.raises(RuntimeError, match="InvalidUrl"):
        OsrmTravel(osrm, profile="bike", timeout_s=5).matrix([LONDON, PARIS])
