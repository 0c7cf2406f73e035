"""Travel providers: distance (metres) and duration (seconds) matrices between locations."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from optimizer.model import Location

IntMatrix = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8
UNREACHABLE = 10**9
"""Distance/duration used for pairs a routing service cannot connect."""


@dataclass(frozen=True)
class TravelMatrix:
    """Distances (metres) and durations (seconds), ``origins x destinations``, as int64 arrays."""

    distances: IntMatrix
    durations: IntMatrix


@runtime_checkable
class TravelProvider(Protocol):
    """Anything that can price travel between places."""

    def matrix(
        self, origins: Sequence[Location], destinations: Sequence[Location] | None = None
    ) -> TravelMatrix:
        """Return travel from each origin to each destination (to the origins if None)."""
        ...


def _coords(points: Sequence[Location]) -> npt.NDArray[np.float64]:
    if not points:
        return np.zeros((0, 2), dtype=np.float64)
    return np.array([(p.lat, p.lon) for p in points], dtype=np.float64)


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance x ``detour_factor``, driven at ``speed_kmh`` (vectorised numpy)."""

    speed_kmh: float = 30.0
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        if self.speed_kmh <= 0 or self.detour_factor <= 0:
            raise ValueError("speed_kmh and detour_factor must be positive")

    def matrix(
        self, origins: Sequence[Location], destinations: Sequence[Location] | None = None
    ) -> TravelMatrix:
        """Return road-like distances and durations from straight lines."""
        a = np.radians(_coords(origins))
        b = a if destinations is None else np.radians(_coords(destinations))
        lat1, lon1 = a[:, 0:1], a[:, 1:2]
        lat2, lon2 = b[:, 0][None, :], b[:, 1][None, :]
        h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
        metres = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        metres *= self.detour_factor
        seconds = metres / (self.speed_kmh / 3.6)
        return TravelMatrix(
            distances=np.rint(metres).astype(np.int64),
            durations=np.rint(seconds).astype(np.int64),
        )


@dataclass(frozen=True)
class EuclideanTravel:
    """Plane distance (``lat``/``lon`` as x/y) x ``scale``, truncated; time = factor x distance.

    ``EuclideanTravel(scale=10)`` is the Solomon/DIMACS convention in integer tenths.
    """

    scale: float = 1.0
    time_factor: float = 1.0

    def matrix(
        self, origins: Sequence[Location], destinations: Sequence[Location] | None = None
    ) -> TravelMatrix:
        """Return truncated scaled Euclidean distances and proportional durations."""
        a = _coords(origins)
        b = a if destinations is None else _coords(destinations)
        d = np.sqrt((a[:, 0:1] - b[:, 0][None, :]) ** 2 + (a[:, 1:2] - b[:, 1][None, :]) ** 2)
        dist = np.floor(d * self.scale + 1e-9).astype(np.int64)
        dur = np.floor(dist * self.time_factor + 1e-9).astype(np.int64)
        return TravelMatrix(distances=dist, durations=dur)


@dataclass(frozen=True)
class OsrmTravel:
    """Client for an OSRM-compatible ``/table/v1/{profile}`` service.

    Requests are split so that no call names more than ``max_table_size`` coordinates.
    Pairs the service cannot route come back as ``UNREACHABLE``.
    """

    base_url: str
    profile: str = "driving"
    max_table_size: int = 100
    timeout_s: float = 30.0

    def matrix(
        self, origins: Sequence[Location], destinations: Sequence[Location] | None = None
    ) -> TravelMatrix:
        """Fetch the table block by block and assemble the full matrices."""
        dests = origins if destinations is None else destinations
        n, m = len(origins), len(dests)
        dist = np.full((n, m), UNREACHABLE, dtype=np.int64)
        dur = np.full((n, m), UNREACHABLE, dtype=np.int64)
        block = max(1, self.max_table_size // 2)
        for i0 in range(0, n, block):
            src = origins[i0 : i0 + block]
            for j0 in range(0, m, block):
                dst = dests[j0 : j0 + block]
                d, t = self._table(src, dst)
                dist[i0 : i0 + len(src), j0 : j0 + len(dst)] = d
                dur[i0 : i0 + len(src), j0 : j0 + len(dst)] = t
        return TravelMatrix(distances=dist, durations=dur)

    def _table(self, src: Sequence[Location], dst: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        points = list(src) + list(dst)
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        query = urllib.parse.urlencode(
            {
                "sources": ";".join(str(i) for i in range(len(src))),
                "destinations": ";".join(str(len(src) + j) for j in range(len(dst))),
                "annotations": "duration,distance",
            }
        )
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:  # OSRM answers errors as JSON with a 4xx
            try:
                body = json.loads(err.read().decode("utf-8"))
            except ValueError:
                body = {"code": f"HTTP {err.code}", "message": err.reason}
            finally:
                err.close()
        if body.get("code") != "Ok":
            raise RuntimeError(f"OSRM table failed: {body.get('code')}: {body.get('message')}")
        return _grid(body.get("distances"), len(src), len(dst)), _grid(
            body.get("durations"), len(src), len(dst)
        )


def _grid(rows: object, n: int, m: int) -> IntMatrix:
    out = np.full((n, m), UNREACHABLE, dtype=np.int64)
    if not isinstance(rows, list):
        raise RuntimeError("OSRM table: missing distances or durations")
    for i, row in enumerate(rows[:n]):
        for j, value in enumerate(row[:m]):
            if value is not None and math.isfinite(value):
                out[i, j] = round(value)
    return out
