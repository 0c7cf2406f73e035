"""The engineers' PWA in Debian's Chromium: offline, reloaded, with responses lost after commit, and
with the office changing a job meanwhile. Screenshots at phone size go to test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.access import SYSTEM
from dispatch.shifts import service as shifts
from tests.e2e.pwa import PASSWORD, events, log_in, phone_fixture, sign, synced
from tests.images import jpeg_bytes

pytestmark = pytest.mark.browser
__all__ = ["phone_fixture"]  # the fixture "phone"


def test_whole_job_offline_with_a_reload_then_online_with_lost_responses(
    phone, live_server, client, world, artifacts, tmp_path
):
    context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    page.screenshot(path=artifacts / "pwa-jobs.png")
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=accept]")
    page.click("[data-act=start-travel]")
    page.click("[data-act=check-in]")
    page.wait_for_selector("#photo", state="attached")
    photo = tmp_path / "boiler.jpg"
    photo.write_bytes(jpeg_bytes(2400, 1800))
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector(".thumbs img")
    sign(page, "Grace Hall")
    page.wait_for_selector(".req.ok >> text=Customer's signature: taken")
    page.fill("#note", "Serviced boiler, replaced seal")
    page.fill("#part", "Seal kit")
    page.click("#note-save")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=artifacts / "pwa-on-site-top.png")
    page.locator("text=Notes and parts").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "pwa-on-site-evidence.png")
    page.click("[data-act=complete]")
    page.wait_for_selector(".status.completed")
    assert "Offline" in page.text_content("#sync")

    page.reload()  # offline: the shell comes from the service worker, the outbox from IndexedDB
    page.wait_for_selector(".status.completed")
    page.wait_for_function("() => document.getElementById('sync').textContent === 'Offline · 7 waiting'")
    assert client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json["status"] == "dispatched"

    dropped = []

    def drop_after_commit(route):
        response = route.fetch()  # the server commits...
        if route.request.method != "GET" and route.request.url not in dropped:
            dropped.append(route.request.url)
            route.abort()  # ...and the phone never hears back, so it sends the same request again
        else:
            route.fulfill(response=response)

    page.route("**/api/v1/**", drop_after_commit)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    synced(page)
    page.wait_for_selector("#history li:not(.muted)")
    page.screenshot(path=artifacts / "pwa-synced.png")
    assert len(dropped) == 7
    order = client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json
    assert order["status"] == "completed"
    log = events(client, world, oid)
    for action in (
        "accept",
        "start_travel",
        "check_in",
        "photo_added",
        "signature_added",
        "note_added",
        "complete",
    ):
        assert log.count(action) == 1, log
    report = client.get(f"/api/v1/orders/{oid}/report", headers=world.h("customer")).json
    assert report["signature"]["signer_name"] == "Grace Hall"
    assert report["photos"][0]["width"] == 1600  # downscaled on the phone
    assert report["far_from_site"] is False
    assert report["notes"][0]["parts"][0]["name"] == "Seal kit"


def test_an_office_change_made_while_offline_is_shown_and_not_overwritten(
    phone, live_server, client, world, artifacts
):
    context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=accept]")
    page.wait_for_selector(".status.accepted")
    etag = client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).headers["ETag"]
    changed = client.patch(
        f"/api/v1/orders/{oid}",
        json={"description": "Customer: use the side gate, dog in the garden"},
        headers=world.h("dispatcher", **{"If-Match": etag}),
    )
    assert changed.status_code == 200
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(".conflict-box")
    page.wait_for_function("() => document.getElementById('sync').textContent === '1 not sent'")
    page.wait_for_selector("#history li:not(.muted)")
    page.screenshot(path=artifacts / "pwa-conflict.png")
    assert "has changed since you read it" in page.text_content(".conflict-box")
    assert "use the side gate" in page.text_content(".card")  # the office's version is shown
    assert page.text_content(".status") == "New"  # not the refused "Accepted"
    order = client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json
    assert order["status"] == "dispatched"
    assert order["description"] == "Customer: use the side gate, dog in the garden"
    assert "accept" not in events(client, world, oid)
    page.click("#discard")
    synced(page)
    page.click("[data-act=accept]")  # having read the office's note, the engineer accepts again
    page.wait_for_selector(".status.accepted")
    synced(page)
    assert client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json["status"] == "accepted"


def on_shift_now(app, engineer_id):
    now = datetime.now(UTC)
    session = app.extensions["dispatch.db"].sessions()
    shifts.create(
        session,
        actor=SYSTEM,
        engineer_id=engineer_id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        default_time_zone="Europe/London",
    )
    session.commit()
    session.close()


def test_whole_job_online_with_pings_a_far_check_in_and_an_expired_login(
    phone, live_server, client, world, app, artifacts, tmp_path
):
    context, page = phone
    on_shift_now(app, world.ids["e1"])
    context.set_geolocation({"latitude": 53.4800, "longitude": -2.2400, "accuracy": 9})  # 5 km from the site
    log_in(page, live_server)
    declined = world.ids["o_disp"]
    page.click(f".card[data-job='{declined}']")
    page.click("[data-act=decline]")  # the dialog answers "Customer not home"
    page.wait_for_selector(f".card[data-job='{declined}'] .status.declined")  # back on the list
    synced(page)
    page.wait_for_selector(f".card[data-job='{declined}']", state="detached")  # no longer theirs
    order = client.get(f"/api/v1/orders/{declined}", headers=world.h("admin")).json
    assert (order["status"], order["status_reason"]) == ("declined", "Customer not home")

    oid = world.ids["o_acc"]
    page.check("#share")
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=start-travel]")
    page.wait_for_selector("[data-act=check-in]")
    synced(page)
    for _ in range(150):
        seen = client.get("/api/v1/positions", headers=world.h("dispatcher")).json
        if seen:
            break
        page.wait_for_timeout(100)
    assert [(p["engineer_id"], p["latitude"], p["accuracy_m"]) for p in seen] == [(world.ids["e1"], 53.48, 9)]

    page.click("[data-act=check-in]")
    page.wait_for_selector(".warn >> text=from the site")
    page.screenshot(path=artifacts / "pwa-far-check-in.png")
    photo = tmp_path / "meter.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector(".thumbs img")
    sign(page, "Grace Hall")
    page.wait_for_selector("text=Signed by Grace Hall")
    synced(page)
    assert len(client.get(f"/api/v1/orders/{oid}/attachments", headers=world.h("admin")).json) == 2
    page.evaluate("location.reload()")  # sent images are shown from the server once the phone's copy is gone
    page.wait_for_function("() => document.querySelectorAll('.thumbs img[src]').length === 2")
    page.locator(".thumbs").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "pwa-on-site-synced.png")

    # The login ends (tokens revoked elsewhere): the queue pauses and asks to log in again.
    tokens = page.evaluate(
        """() => new Promise((ok) => { const r = indexedDB.open("field-dispatch");
           r.onsuccess = () => { const s = r.result.transaction("meta").objectStore("meta");
           const a = s.get("access"), f = s.get("refresh");
           f.onsuccess = () => ok([a.result, f.result]); }; })"""
    )
    for token in tokens:
        assert (
            client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
    page.click("[data-act=complete]")
    page.wait_for_selector("#notice >> text=Log in again to send")
    assert page.text_content("#sync") == "1 waiting · log in"
    page.screenshot(path=artifacts / "pwa-login-again.png")
    assert client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).json["status"] == "on_site"
    page.click("#notice a")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".card[data-job]")
    synced(page)
    report = client.get(f"/api/v1/orders/{oid}/report", headers=world.h("customer")).json
    assert report["outcome"] == "completed"
    assert report["far_from_site"] is True
    assert report["signature"]["signer_name"] == "Grace Hall"
    assert len(report["photos"]) == 1


def _get(client, path):
    response = client.get(path)
    response.get_data()
    response.close()  # send_file keeps the file open until the response is closed
    return response


def test_the_app_is_installable_and_its_files_are_served_right(client):
    manifest = _get(client, "/app/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.mimetype == "application/manifest+json"
    assert {i["sizes"] for i in manifest.json["icons"]} == {"192x192", "512x512"}
    sw = _get(client, "/app/sw.js")
    assert sw.headers["Cache-Control"] == "no-cache"
    assert sw.mimetype == "text/javascript"
    assert _get(client, "/app").status_code == 308
    assert _get(client, "/app/package.json").status_code == 404
