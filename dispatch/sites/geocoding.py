"""Geocoding addresses with geopy (Nominatim protocol, at a configured domain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from geopy.exc import GeocoderQueryError, GeocoderTimedOut, GeocoderUnavailable, GeopyError
from geopy.geocoders import Nominatim

from dispatch.errors import Invalid


@dataclass(frozen=True)
class Place:
    """What the geocoder found for an address."""

    latitude: float
    longitude: float
    display_name: str


class Geocoder(Protocol):
    """Anything that turns an address into a :class:`Place` or None."""

    def geocode(self, address: str) -> Place | None:
        """Find the address; None when nothing matches."""
        ...


class GeocodingFailed(Invalid):
    """The address could not be turned into coordinates (HTTP 422)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the address could not be geocoded: {reason}; check it, or give latitude and longitude",
            errors={"address": [reason]},
        )


class NominatimGeocoder:
    """A geocoder speaking the Nominatim protocol (public or self-hosted) through geopy."""

    def __init__(
        self,
        *,
        domain: str,
        scheme: str = "https",
        user_agent: str = "field-dispatch",
        timeout_s: float = 5.0,
        country_codes: str = "",
    ) -> None:
        self._client = Nominatim(domain=domain, scheme=scheme, user_agent=user_agent, timeout=timeout_s)
        self._country_codes = [c.strip() for c in country_codes.split(",") if c.strip()] or None

    def geocode(self, address: str) -> Place | None:
        """Ask the service for the best match of ``address``."""
        try:
            location = self._client.geocode(address, exactly_one=True, country_codes=self._country_codes)
        except GeocoderTimedOut as exc:
            raise GeocodingFailed("the geocoding service did not answer in time") from exc
        except GeocoderUnavailable as exc:
            raise GeocodingFailed("the geocoding service is unreachable or did not answer in time") from exc
        except GeocoderQueryError as exc:
            raise GeocodingFailed(f"the geocoding service refused the query ({exc})") from exc
        except GeopyError as exc:
            raise GeocodingFailed(f"the geocoding service failed ({type(exc).__name__}: {exc})") from exc
        if location is None:
            return None
        return Place(float(location.latitude), float(location.longitude), str(location.address))


def locate(geocoder: Geocoder | None, address: str) -> Place:
    """Geocode ``address`` or raise :class:`GeocodingFailed` saying why."""
    if geocoder is None:
        raise GeocodingFailed("no geocoding service is configured (DISPATCH_GEOCODER_DOMAIN)")
    place = geocoder.geocode(address)
    if place is None:
        raise GeocodingFailed("no place matches this address")
    if abs(place.latitude) < 1e-9 and abs(place.longitude) < 1e-9:
        # (0, 0) is in the Gulf of Guinea: a geocoder that says so has not found the place.
        raise GeocodingFailed("the geocoding service answered with (0, 0), which is no address")
    return place
