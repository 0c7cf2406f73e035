"""Sites: coordinates are given or geocoded through a Nominatim-protocol service, never invented."""

from __future__ import annotations

import pytest

from api.app import geocoder_for
from dispatch.config import Settings
from tests.nominatim import nominatim_server


@pytest.fixture
def geocoding(app, monkeypatch):
    """Point the app at a loopback Nominatim, through the same factory production uses."""
    with nominatim_server(slow_s=1.5) as server:
        settings = Settings(
            geocoder_domain=server.domain,
            geocoder_scheme="http",
            geocoder_timeout_s=0.5,
            geocoder_user_agent="dispatch-tests",
        )
        monkeypatch.setitem(app.extensions, "dispatch.geocoder", geocoder_for(settings))
        yield server


def add_site(client, world, address, role="agent", **extra):
    body = {"customer_id": world.ids["c1"], "address": address, **extra}
    return client.post("/api/v1/sites", json=body, headers=world.h(role))


def test_address_without_coordinates_is_geocoded(client, world, geocoding):
    response = add_site(client, world, "12 Mauldeth Road", postcode="m20 4nd", city="Manchester")
    assert response.status_code == 201, response.json
    site = response.json
    assert (site["latitude"], site["longitude"]) == (53.4330851, -2.2290112)
    assert site["location_source"] == "geocoded"
    assert site["postcode"] == "M20 4ND"
    asked = geocoding.requests[-1]
    assert asked["q"] == "12 Mauldeth Road, M20 4ND, Manchester"
    assert asked["user_agent"] == "dispatch-tests"


def test_given_coordinates_are_kept_and_no_geocoder_is_asked(client, world, geocoding):
    response = add_site(client, world, "Unit 4, Trafford Park", latitude=53.4657, longitude=-2.3285)
    assert response.status_code == 201
    assert response.json["location_source"] == "given"
    assert geocoding.requests == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("1 Nowhere Lane", "no place matches this address"),
        ("Null Island", "the geocoding service answered with (0, 0), which is no address"),
        (
            "5 Broken Street",
            "the geocoding service failed (GeocoderServiceError: Non-successful status code 500)",
        ),
        ("8 Slow Road", "the geocoding service is unreachable or did not answer in time"),
    ],
)
def test_geocoding_failures_are_422_saying_why_and_nothing_is_saved(
    client, world, geocoding, address, reason
):
    before = len(client.get("/api/v1/sites", headers=world.h("admin")).json)
    response = add_site(client, world, address)
    assert response.status_code == 422
    assert response.json["errors"] == {"address": [reason]}
    assert response.json["message"].startswith("the address could not be geocoded")
    assert len(client.get("/api/v1/sites", headers=world.h("admin")).json) == before


def test_without_a_configured_geocoder_an_address_alone_is_422(client, world):
    response = add_site(client, world, "12 Mauldeth Road")
    assert response.status_code == 422
    assert response.json["errors"] == {
        "address": ["no geocoding service is configured (DISPATCH_GEOCODER_DOMAIN)"]
    }


def test_half_a_coordinate_pair_is_refused(client, world):
    response = add_site(client, world, "somewhere", latitude=53.4)
    assert response.status_code == 422
    assert response.json["errors"] == {"longitude": ["missing"]}


def test_moving_a_site_geocodes_the_new_address(client, world, geocoding):
    url = f"/api/v1/sites/{world.ids['s1']}"
    response = client.patch(url, json={"address": "200 Oxford Road"}, headers=world.h("customer"))
    assert response.status_code == 200
    assert (response.json["latitude"], response.json["location_source"]) == (53.4668498, "geocoded")
    notes_only = client.patch(url, json={"access_notes": "Blue door"}, headers=world.h("customer"))
    assert notes_only.status_code == 200
    assert len(geocoding.requests) == 1


def test_unknown_time_zone_is_refused(client, world):
    response = add_site(client, world, "x street", latitude=1.0, longitude=1.0, time_zone="Mars/Olympus")
    assert response.status_code == 422
    assert response.json["errors"] == {"time_zone": ["not an IANA time zone name"]}


def test_customer_adds_a_site_to_their_own_account_only(client, world):
    mine = client.post(
        "/api/v1/sites",
        json={"address": "3 Elm Close", "latitude": 53.4, "longitude": -2.2},
        headers=world.h("customer"),
    )
    assert mine.status_code == 201
    assert mine.json["customer_id"] == world.ids["c1"]
