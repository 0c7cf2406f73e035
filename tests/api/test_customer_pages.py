"""The customer pages' guard rails: login cookie, CSRF on every change, the change policy, privacy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api import create_app
from tests.booking_world import PASSWORD, build, committed, days_ahead


@pytest.fixture
def bw(client: Any, app: Any) -> Any:
    """One engineer three days from now; Grace (customer) with a site."""
    return committed(app, lambda s: build(s, app, day=days_ahead(3)))


def _log_in(client: Any, email: str = "grace@example.com", next_: str = "/my/bookings") -> Any:
    return client.post("/account/login", data={"email": email, "password": PASSWORD, "next": next_})


def _booked(client: Any, w: Any, headers: str = "customer", site: str = "s1") -> int:
    query = {"service_type_id": w.ids["boiler-service"], "day": w.day.isoformat()}
    offered = client.get(
        "/api/v1/slots",
        query_string={**query, "latitude": 53.43, "longitude": -2.23},
        headers=w.headers[headers],
    )
    slot = offered.json[0]
    body = {
        "service_type_id": w.ids["boiler-service"],
        "site_id": w.ids[site],
        "starts_at": slot["starts_at"],
        "ends_at": slot["ends_at"],
    }
    response = client.post("/api/v1/bookings", json=body, headers=w.headers[headers])
    assert response.status_code == 201
    return int(response.json["order"]["id"])


def _status(client: Any, w: Any, order_id: int) -> str:
    return str(client.get(f"/api/v1/orders/{order_id}", headers=w.headers["dispatcher"]).json["status"])


def test_pages_need_a_customer_login_and_send_you_back_after_it(client, bw):
    response = client.get("/book")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=/book"
    logged_in = _log_in(client, next_="/book")
    assert logged_in.status_code == 302
    assert logged_in.headers["Location"] == "/book"
    cookie = client.get_cookie("access_token_cookie")
    assert cookie is not None
    assert cookie.http_only
    assert client.get("/book").status_code == 200


def test_login_never_redirects_off_the_site_and_staff_are_sent_to_the_console(client, bw):
    assert _log_in(client, next_="//evil.example/x").headers["Location"] == "/my/bookings"
    assert _log_in(client, next_="https://evil.example/").headers["Location"] == "/my/bookings"
    staff = _log_in(client, email="dispatcher@example.com")
    assert staff.status_code == 403
    assert "staff use the console" in staff.get_data(as_text=True)


def test_a_change_without_the_csrf_token_does_nothing(client, bw):
    order_id = _booked(client, bw)
    _log_in(client)
    forged = client.post(f"/my/bookings/{order_id}/cancel", data={"reason": "forged"})
    assert forged.status_code == 302
    assert forged.headers["Location"].startswith("/account/login")
    assert _status(client, bw, order_id) == "scheduled"
    csrf = client.get_cookie("csrf_access_token").value
    cancelled = client.post(f"/my/bookings/{order_id}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 302
    assert _status(client, bw, order_id) == "cancelled"


def test_logging_out_revokes_the_cookie_token(client, bw):
    _log_in(client)
    token = client.get_cookie("access_token_cookie").value
    csrf = client.get_cookie("csrf_access_token").value
    assert client.post("/account/logout", data={"csrf_token": csrf}).status_code == 302
    client.set_cookie("access_token_cookie", token)  # a copy of the old cookie
    assert client.get("/my/bookings").status_code == 302


def test_another_customers_booking_page_is_not_found(client, bw):
    order_id = _booked(client, bw, headers="customer2", site="s2")
    _log_in(client)
    assert client.get(f"/my/bookings/{order_id}").status_code == 404
    assert client.get(f"/my/bookings/{order_id}/reschedule").status_code == 404


PHONE = "0161 496 0123"


@pytest.fixture
def strict_client(app_settings: dict[str, Any], clean_db: Any) -> Iterator[Any]:
    """An app whose customers may change bookings only until ten days before the window."""
    strict = create_app({**app_settings, "booking_change_hours": 240, "company_phone": PHONE})
    yield strict.test_client()
    strict.extensions["dispatch.db"].engine.dispose()


def test_too_late_to_cancel_online_says_so_and_keeps_the_visit(client, bw, strict_client):
    order_id = _booked(client, bw)
    _log_in(strict_client)
    page = strict_client.get(f"/my/bookings/{order_id}").get_data(as_text=True)
    assert "too late to change this visit online" in page
    assert "Cancel visit" not in page
    csrf = strict_client.get_cookie("csrf_access_token").value
    refused = strict_client.post(f"/my/bookings/{order_id}/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert f"Please call us on {PHONE}" in refused.get_data(as_text=True)
    assert f"Please call us on {PHONE}" in page
    assert _status(client, bw, order_id) == "scheduled"


def test_an_address_nobody_can_find_is_said_plainly_on_the_page(client, bw):
    _log_in(client)
    page = client.get(
        "/book",
        query_string={
            "service_type_id": bw.ids["boiler-service"],
            "address": "1 Nowhere Lane",
            "day": bw.day.isoformat(),
        },
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # No geocoder is configured here: the page says what the customer can do, not which setting is missing.
    assert "We cannot look up new addresses online at the moment." in html
    assert "choose one of your saved addresses" in html
    assert "DISPATCH_" not in html
    assert "geocod" not in html
    assert "Book this time" not in html


def test_a_window_taken_while_choosing_shows_what_is_still_free(client, app):
    # A 90-minute job and one engineer from 08:00 to 13:00: 08-10 and 10-12 have room for one each.
    w = committed(app, lambda s: build(s, app, day=days_ahead(4), shift_hours=(8, 13), long_job=True))
    query = {"service_type_id": w.ids["long"], "day": w.day.isoformat(), "site_id": w.ids["s1"]}
    offered = client.get("/api/v1/slots", query_string=query, headers=w.headers["customer"]).json
    first = min(offered, key=lambda s: s["starts_at"])
    window = {"starts_at": first["starts_at"], "ends_at": first["ends_at"]}
    taken = client.post(
        "/api/v1/bookings",
        json={"service_type_id": w.ids["long"], "site_id": w.ids["s2"], **window},
        headers=w.headers["customer2"],
    )
    assert taken.status_code == 201
    _log_in(client)
    csrf = client.get_cookie("csrf_access_token").value
    form = {
        "csrf_token": csrf,
        "service_type_id": w.ids["long"],
        "site_id": w.ids["s1"],
        "day": w.day.isoformat(),
    }
    page = client.post("/book", data={**form, **window})
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "someone has just booked that window" in html
    assert "10:00 \N{EN DASH} 12:00" in html
    assert "08:00 \N{EN DASH} 10:00" not in html


def test_the_customer_sees_the_visit_report_with_photos_and_signature(client, world):
    from tests.api.test_fieldwork_api import act, upload
    from tests.images import jpeg_bytes, png_bytes

    oid = world.ids["o_site"]
    photo = jpeg_bytes(seed=3)
    assert upload(client, world, oid, photo, att_id="ph-1").status_code == 201
    assert (
        upload(
            client, world, oid, png_bytes(), att_id="sig-1", kind="signature", signer="Grace Hall"
        ).status_code
        == 201
    )
    client.put(
        f"/api/v1/orders/{oid}/notes/n-1",
        json={"text": "Replaced the seal", "parts": [{"name": "Seal kit", "quantity": 2}]},
        headers=world.h("engineer"),
    )
    assert (
        act(
            client, world, oid, "complete", {"notes": "Boiler serviced", "attachment_ids": ["ph-1", "sig-1"]}
        ).status_code
        == 200
    )
    client.post(
        "/account/login", data={"email": "customer@example.com", "password": PASSWORD, "next": "/my/bookings"}
    )
    page = client.get(f"/my/bookings/{oid}").get_data(as_text=True)
    assert "Visit report" in page
    assert "Boiler serviced" in page
    assert "Seal kit \u00d7 2" in page
    assert "Signed by Grace Hall" in page
    with client.get(f"/my/bookings/{oid}/images/ph-1") as image:
        assert image.status_code == 200
        assert image.data == photo
        assert image.mimetype == "image/jpeg"
    with client.get(f"/my/bookings/{oid}/images/sig-1") as image:
        assert image.status_code == 200
    # Another visit's id in the path, or someone else's visit: not found.
    assert client.get(f"/my/bookings/{world.ids['o_new']}/images/ph-1").status_code == 404
    assert client.get(f"/my/bookings/{world.ids['o_other']}/images/ph-1").status_code == 404


def test_an_unfinished_visit_offers_the_customer_a_follow_up_booking(client, world):
    from tests.api.test_fieldwork_api import act

    oid = world.ids["o_site"]
    assert act(client, world, oid, "incomplete", {"reason": "Needs a new pump, ordered"}).status_code == 200
    client.post(
        "/account/login", data={"email": "customer@example.com", "password": PASSWORD, "next": "/my/bookings"}
    )
    page = client.get(f"/my/bookings/{oid}").get_data(as_text=True)
    assert "The job needs another visit" in page
    link = page.split('id="book-follow-up" class="button" href="')[1].split('"')[0].replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert "Free times on" in form  # the free windows for the same service at the same address
    assert "Follow-up of WO-" in form
    assert "Needs a new pump, ordered" in form


def _slot_form(client: Any, w: Any) -> dict[str, str]:
    """The booking form as the page renders it, with the first free time chosen."""
    query = {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], "day": w.day.isoformat()}
    html = client.get("/book", query_string=query).get_data(as_text=True)
    form = html.split('id="slots"')[1].split("</form>")[0]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))
    start, end = re.findall(r'data-start="([^"]+)" data-end="([^"]+)"', form)[0]
    return {**fields, "starts_at": start, "ends_at": end}


def _orders(client: Any, w: Any) -> list[int]:
    return [o["id"] for o in client.get("/api/v1/orders", headers=w.headers["dispatcher"]).json]


def test_a_booking_form_sent_twice_books_one_visit(client, bw):
    _log_in(client)
    form = _slot_form(client, bw)
    assert len(form["idempotency_key"]) >= 32  # made when the form was rendered
    first = client.post("/book", data=form)
    assert first.status_code == 302
    again = client.post("/book", data=form)  # a double click, or the back button and "Book" again
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(_orders(client, bw)) == 1
    # The same form with another window changed by hand: nothing is booked, and the page says why.
    changed = client.post("/book", data={**form, "description": "changed my mind"})
    assert changed.status_code == 409
    assert "already sent" in changed.get_data(as_text=True)
    assert len(_orders(client, bw)) == 1
    # A new form (a new key) books a new visit.
    assert client.post("/book", data=_slot_form(client, bw)).status_code == 302
    assert len(_orders(client, bw)) == 2


def test_a_cancel_form_sent_twice_cancels_once_and_says_so_both_times(client, bw):
    order_id = _booked(client, bw)
    _log_in(client)
    html = client.get(f"/my/bookings/{order_id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key is not None
    form = {"csrf_token": client.get_cookie("csrf_access_token").value, "idempotency_key": key[1]}
    first = client.post(f"/my/bookings/{order_id}/cancel", data=form)
    again = client.post(f"/my/bookings/{order_id}/cancel", data=form)
    assert first.status_code == again.status_code == 302
    assert "Your+visit+is+cancelled" in again.headers["Location"]
    assert _status(client, bw, order_id) == "cancelled"
    events = client.get(f"/api/v1/orders/{order_id}/events", headers=bw.headers["dispatcher"]).json
    assert [e["action"] for e in events].count("cancel") == 1


def test_an_address_the_geocoder_does_not_know_is_said_in_plain_words(client, app, bw, monkeypatch):
    from api.app import geocoder_for
    from dispatch.config import Settings
    from tests.nominatim import nominatim_server

    _log_in(client)
    query = {
        "service_type_id": bw.ids["boiler-service"],
        "address": "1 Nowhere Lane",
        "day": bw.day.isoformat(),
    }
    with nominatim_server() as server:
        settings = Settings(geocoder_domain=server.domain, geocoder_scheme="http", geocoder_timeout_s=2)
        monkeypatch.setitem(app.extensions, "dispatch.geocoder", geocoder_for(settings))
        html = client.get("/book", query_string=query).get_data(as_text=True)
    assert "We could not find that address. Please check it and add the postcode" in html
    assert "geocod" not in html


def test_unknown_pages_get_a_friendly_page_and_the_api_keeps_json(client, bw):
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "We cannot find that page" in html
    assert 'href="/my/bookings"' in html
    assert '"code"' not in html
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert (api.status_code, api.mimetype, api.json["code"]) == (404, "application/json", 404)
    asked_json = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert (asked_json.mimetype, asked_json.json["code"]) == ("application/json", 404)
    # A visit that is not yours, or a saved address that is not yours, is a page too.
    order_id = _booked(client, bw, headers="customer2", site="s2")
    _log_in(client)
    theirs = client.get(f"/my/bookings/{order_id}", headers={"Accept": "text/html"})
    assert (theirs.status_code, theirs.mimetype) == (404, "text/html")
    site = client.get(
        "/book",
        query_string={
            "service_type_id": bw.ids["boiler-service"],
            "site_id": bw.ids["s2"],
            "day": bw.day.isoformat(),
        },
    )
    assert site.mimetype == "text/html"
    assert "We cannot find that in your account" in site.get_data(as_text=True)


def test_a_failing_page_says_sorry_in_html_and_the_api_in_json(app_settings, clean_db, monkeypatch):
    from dispatch.booking import service as booking_service

    app = create_app({**app_settings, "company_phone": PHONE})
    app.testing = False  # answer errors as in production instead of raising them into the test
    try:
        w = committed(app, lambda s: build(s, app, day=days_ahead(3)))
        client = app.test_client()
        _log_in(client)

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(booking_service, "find_slots", broken)
        query = {"service_type_id": w.ids["boiler-service"], "site_id": w.ids["s1"], "day": w.day.isoformat()}
        page = client.get("/book", query_string=query)
        assert (page.status_code, page.mimetype) == (500, "text/html")
        html = page.get_data(as_text=True)
        assert "Something went wrong on our side" in html
        assert f"call us on {PHONE}" in html
        assert "RuntimeError" not in html
        assert "database went away" not in html
        api = client.get("/api/v1/slots", query_string=query, headers=w.headers["customer"])
        assert (api.status_code, api.mimetype, api.json["code"]) == (500, "application/json", 500)
    finally:
        app.extensions["dispatch.db"].engine.dispose()


def test_the_book_page_says_before_booking_which_times_cannot_be_changed_online(client, bw, strict_client):
    query = {"service_type_id": bw.ids["boiler-service"], "site_id": bw.ids["s1"], "day": bw.day.isoformat()}
    _log_in(client)
    relaxed = client.get("/book", query_string=query).get_data(as_text=True)
    assert "cannot be changed online" not in relaxed
    assert "You can move or cancel your visit online until 0 hours before it." in relaxed
    _log_in(strict_client)
    html = strict_client.get("/book", query_string=query).get_data(as_text=True)
    slots = html.split('id="slots"')[1].split("</fieldset>")[0]
    assert slots.count("cannot be changed online") == 5  # three days ahead is inside the 240 hours
    note = html.split('id="change-note">')[1].split("</p>")[0]
    assert "once booked, they cannot be moved or cancelled online" in note
    assert f"call us on {PHONE}" in note


def test_your_visits_are_in_visit_date_order_with_statuses_in_plain_words(client, app, bw):
    query = {
        "service_type_id": bw.ids["boiler-service"],
        "day": bw.day.isoformat(),
        "latitude": 53.43,
        "longitude": -2.23,
    }
    offered = sorted(
        client.get("/api/v1/slots", query_string=query, headers=bw.headers["customer"]).json,
        key=lambda s: s["starts_at"],
    )
    ids = []
    for slot in (offered[3], offered[0], offered[1]):  # booked in another order than they happen
        body = {"service_type_id": bw.ids["boiler-service"], "site_id": bw.ids["s1"]}
        body |= {"starts_at": slot["starts_at"], "ends_at": slot["ends_at"]}
        booked = client.post("/api/v1/bookings", json=body, headers=bw.headers["customer"])
        assert booked.status_code == 201
        ids.append(booked.json["order"]["id"])
    cancelled = client.post(f"/api/v1/bookings/{ids[2]}/cancel", json={}, headers=bw.headers["customer"])
    assert cancelled.status_code == 200
    _log_in(client)
    html = client.get("/my/bookings").get_data(as_text=True)
    coming, earlier = html.split('id="coming"')[1].split("</ul>")[0], html.split('id="earlier"')[1]
    assert re.findall(r"/my/bookings/(\d+)", coming) == [str(ids[1]), str(ids[0])]  # 08:00, then 14:00
    assert re.findall(r"/my/bookings/(\d+)", earlier.split("</ul>")[0]) == [str(ids[2])]
    assert coming.count("Booked and planned") == 2
    assert "Visit cancelled" in earlier
    words = re.sub(r"<[^>]+>", " ", html.split("<main>")[1])
    assert "scheduled" not in words  # no state-machine words
