"""The engineers' PWA in real hands: double and triple taps on a slow network, a step refused in the
middle of a job (corrected and sent again, the steps held behind it following), a reload in the
middle of it, a second phone, and logging out. Screenshots at phone size go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.pwa import PHONE, asked, events, log_in, outbox, phone_fixture, sign, synced
from tests.images import jpeg_bytes

pytestmark = pytest.mark.browser
__all__ = ["phone_fixture"]  # the fixture "phone"

API = "/api/v1"


class SlowNetwork:
    """Every write to the API waits until the test lets it go (`held`: the writes waiting)."""

    def __init__(self, page):
        self.held = []
        self.open = False
        page.route("**/api/v1/**", self.handle)

    def handle(self, route):
        if self.open or route.request.method == "GET":
            route.continue_()
        else:
            self.held.append(route)

    def release(self):
        """The signal comes back: the held writes reach the server, later ones go straight through."""
        self.open = True
        for route in self.held:
            route.continue_()


def online(context, page):
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def status(client, world, oid):
    return client.get(f"{API}/orders/{oid}", headers=world.h("admin")).json["status"]


def test_a_double_tap_queues_each_step_once(phone, live_server, client, world):
    context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.dblclick("[data-act=accept]")
    page.wait_for_selector(".status.accepted")
    assert outbox(page) == [("accept", "pending")]
    # Two clicks in one go on the next step's button (a bouncing finger): still one step.
    page.wait_for_selector("[data-act=start-travel]:enabled")
    page.evaluate(
        "() => { const b = document.querySelector('[data-act=start-travel]'); b.click(); b.click(); }"
    )
    page.wait_for_selector(".status.en_route")
    assert outbox(page) == [("accept", "pending"), ("start-travel", "pending")]
    online(context, page)
    synced(page)
    log = events(client, world, oid)
    assert (log.count("accept"), log.count("start_travel")) == (1, 1), log
    assert status(client, world, oid) == "en_route"


def test_a_triple_tap_on_a_slow_network_sends_one_step(phone, live_server, client, world, artifacts):
    _context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    slow = SlowNetwork(page)
    page.click(f".card[data-job='{oid}']")
    page.locator("[data-act=accept]").click(click_count=3)
    page.wait_for_selector(".status.accepted")
    page.wait_for_function("() => document.getElementById('sync').textContent === 'Sending 1…'")
    assert outbox(page) == [("accept", "pending")]  # the accept is on its way, and only once
    page.screenshot(path=artifacts / "pwa-slow-accept.png")
    # The next step's button, tapped three times while the accept still has no answer.
    page.locator("[data-act=start-travel]").click(click_count=3)
    page.wait_for_selector("[data-act=check-in]")
    assert outbox(page) == [("accept", "pending"), ("start-travel", "pending")]
    assert len(slow.held) == 1  # in order: the start of travel waits for the accept's answer
    slow.release()
    synced(page)
    log = events(client, world, oid)
    assert (log.count("accept"), log.count("start_travel")) == (1, 1), log
    assert status(client, world, oid) == "en_route"
    assert page.text_content(".status") == "Travelling"


def test_a_step_refused_in_the_middle_of_a_job_is_corrected_and_the_held_steps_follow(
    phone, live_server, client, world, artifacts, tmp_path
):
    context, page = phone
    oid = world.ids["o_disp"]
    too_long = ("Grace Hall of Withington " * 9).strip()  # 224 characters: the server takes 200
    log_in(page, live_server)
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=accept]")
    page.click("[data-act=start-travel]")
    page.click("[data-act=check-in]")
    photo = tmp_path / "boiler.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector(".thumbs img")
    sign(page, too_long)
    page.wait_for_selector(".req.ok >> text=Customer's signature: taken")
    page.fill("#note", "Serviced boiler, replaced seal")
    page.click("#note-save")
    page.wait_for_selector(".history >> text=Serviced boiler")
    page.click("[data-act=complete]")
    page.wait_for_selector(".status.completed")

    online(context, page)
    page.wait_for_selector(".conflict-box")
    page.wait_for_function("() => document.getElementById('sync').textContent === '1 not sent'")
    box = page.text_content(".conflict-box")
    assert "something you entered needs correcting" in box
    assert "Signed by: Longer than maximum length 200" in box  # the server's word on the field
    assert "office" not in box  # nobody at the office changed anything
    assert page.locator("[data-held]").all_text_contents() == [
        "Note — waiting: the signature was refused",
        "Complete — waiting: the signature was refused",
    ]
    assert outbox(page) == [("signature", "conflict"), ("note", "pending"), ("complete", "pending")]
    assert page.text_content(".status") == "On site"  # as the server has it
    assert status(client, world, oid) == "on_site"
    assert "signature_added" not in events(client, world, oid)
    page.screenshot(path=artifacts / "pwa-refused-signature.png", full_page=True)

    page.reload()  # in the middle of the refused step: nothing entered is lost
    page.wait_for_selector(".conflict-box")
    assert page.input_value("#fix-signer") == too_long
    page.wait_for_function("() => document.querySelectorAll('.thumbs img[src]').length === 2")
    assert page.is_visible(".history >> text=Serviced boiler, replaced seal")
    page.fill("#fix-signer", "Grace Hall")
    page.click("#resend")
    page.wait_for_selector(".status.completed")
    synced(page)
    assert status(client, world, oid) == "completed"
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
    report = client.get(f"{API}/orders/{oid}/report", headers=world.h("customer")).json
    assert report["signature"]["signer_name"] == "Grace Hall"
    assert report["notes"][0]["text"] == "Serviced boiler, replaced seal"


def test_a_step_the_office_outdated_is_sent_again_and_the_steps_since_follow(
    phone, live_server, client, world
):
    context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=accept]")
    page.click("[data-act=start-travel]")
    page.wait_for_selector("[data-act=check-in]")
    etag = client.get(f"{API}/orders/{oid}", headers=world.h("admin")).headers["ETag"]
    note = {"description": "Customer: ring the bell twice"}
    changed = client.patch(
        f"{API}/orders/{oid}", json=note, headers=world.h("dispatcher", **{"If-Match": etag})
    )
    assert changed.status_code == 200
    online(context, page)
    page.wait_for_selector(".conflict-box[data-refusal=stale]")
    assert "the office changed this job" in page.text_content(".conflict-box")
    assert page.locator("[data-held]").all_text_contents() == [
        "Start travel — waiting: the acceptance was refused"
    ]
    page.click("#resend")  # having read the office's note: accept again, on the job as it is now
    page.wait_for_selector("[data-act=check-in]")
    synced(page)
    assert status(client, world, oid) == "en_route"  # the start of travel went too, after the accept
    assert page.text_content(".status") == "Travelling"


def test_a_second_phone_shows_the_photos_signature_and_notes_the_server_has(
    phone, browser, live_server, client, world, artifacts, tmp_path
):
    _context, page = phone
    oid = world.ids["o_site"]  # the engineer is on site
    log_in(page, live_server)
    page.click(f".card[data-job='{oid}']")
    photo = tmp_path / "meter.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector(".thumbs img")
    sign(page, "Grace Hall")
    page.wait_for_selector("text=Signed by Grace Hall")
    page.fill("#note", "Replaced the pump seal")
    page.fill("#part", "Pump seal")
    page.click("#note-save")
    page.wait_for_selector("text=Replaced the pump seal")
    synced(page)

    second = browser.new_context(service_workers="allow", viewport=PHONE, device_scale_factor=1)
    try:
        other = second.new_page()
        log_in(other, live_server)
        other.click(f".card[data-job='{oid}']")
        other.wait_for_function("() => document.querySelectorAll('.thumbs img[src]').length === 2")
        assert other.text_content(".req >> nth=0") == "Photos: 1 taken (none required)"
        assert other.is_visible("text=Customer's signature: taken")
        assert other.is_visible("text=Signed by Grace Hall")
        assert other.is_enabled("[data-act=complete]")
        # The note written on the first phone is shown here too, with its part.
        assert other.is_visible("text=Replaced the pump seal — parts: Pump seal × 1")  # noqa: RUF001 - as shown
        other.locator(".thumbs").scroll_into_view_if_needed()
        other.screenshot(path=artifacts / "pwa-second-phone.png")
        other.click("[data-act=complete]")
        other.wait_for_selector(".status.completed")
        synced(other)
    finally:
        second.close()
    assert status(client, world, oid) == "completed"
    assert len(client.get(f"{API}/orders/{oid}/attachments", headers=world.h("admin")).json) == 2


TOKENS = """() => new Promise((ok) => { const r = indexedDB.open("field-dispatch");
  r.onsuccess = () => { const s = r.result.transaction("meta").objectStore("meta");
  const a = s.get("access"), f = s.get("refresh"); f.onsuccess = () => ok([a.result, f.result]); }; })"""

STORED = """() => new Promise((ok) => { const r = indexedDB.open("field-dispatch");
  r.onsuccess = () => { const names = ["meta", "jobs", "outbox", "blobs"]; const t = r.result.transaction(names);
  Promise.all(names.map((n) => new Promise((done) => { const c = t.objectStore(n).count(); c.onsuccess = () => done(c.result); })))
  .then(ok); }; })"""


def test_logging_out_warns_of_unsent_steps_then_ends_the_login_and_wipes_the_phone(
    phone, live_server, client, world
):
    _context, page = phone
    oid = world.ids["o_disp"]
    log_in(page, live_server)
    access, refresh = page.evaluate(TOKENS)
    page.route("**/accept", lambda route: route.abort())  # the accept cannot get through
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=accept]")
    page.click("text=All jobs")
    page.wait_for_function("() => document.getElementById('sync').textContent.startsWith('Offline')")

    page.replies.append(None)  # "no, keep them"
    page.click("#logout")
    assert asked(page) == [
        "1 change is not sent yet. Logging out deletes it from this phone. Log out anyway?"
    ]
    assert outbox(page) == [("accept", "pending")]  # kept: the engineer said no
    assert page.is_visible("#logout")

    page.click("#logout")  # and now yes
    page.wait_for_selector("#login")
    assert page.evaluate(STORED) == [0, 0, 0, 0]  # no token, job, step or image left on the phone
    assert page.input_value("#email") == ""
    for token in (access, refresh):  # the login is over on the server too
        assert client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert (
        client.post(f"{API}/auth/refresh", headers={"Authorization": f"Bearer {refresh}"}).status_code == 401
    )
    assert status(client, world, oid) == "dispatched"


def test_the_language_switch_saves_the_engineers_choice_for_every_phone(
    phone, browser, live_server, client, world, artifacts
):
    _context, page = phone  # an English phone
    log_in(page, live_server)
    assert page.text_content("h1") == "Your jobs"
    page.click(".langs [data-locale=zh_Hans]")
    page.wait_for_function("() => document.querySelector('h1').textContent === '我的工单'")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    page.wait_for_function("() => document.getElementById('sync').textContent === '已全部同步'")
    assert client.get(f"{API}/auth/me", headers=world.h("engineer")).json["locale"] == "zh_Hans"
    page.screenshot(path=artifacts / "pwa-language-switch-zh.png")
    # Logging out keeps the phone's language: the login screen, and after a reload too, is in Chinese.
    page.click("#logout")
    page.wait_for_selector("#login")
    assert page.text_content("h1") == "登录"
    page.reload()
    page.wait_for_selector("#login")
    assert page.text_content("h1") == "登录"
    log_in(page, live_server)

    second = browser.new_context(
        service_workers="allow", viewport=PHONE, device_scale_factor=1
    )  # English too
    try:
        other = second.new_page()
        log_in(other, live_server)
        other.wait_for_function("() => document.querySelector('h1').textContent === '我的工单'")
        other.click(".langs [data-locale=en]")
        other.wait_for_function("() => document.querySelector('h1').textContent === 'Your jobs'")
        synced(other)
    finally:
        second.close()
    assert client.get(f"{API}/auth/me", headers=world.h("engineer")).json["locale"] == "en"
