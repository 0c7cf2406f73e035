"""What the PWA's browser tests share: a phone-sized Chromium context, logging in, waiting for the
outbox to empty, signing on the pad, and reading the phone's IndexedDB."""

from __future__ import annotations

import time

import pytest

from tests.factories import PASSWORD

__all__ = ["PASSWORD", "events", "log_in", "outbox", "phone_fixture", "sign", "synced"]

PHONE = {"width": 412, "height": 860}


@pytest.fixture(name="phone")
def phone_fixture(browser, live_server):
    """A phone: 412 x 860, geolocation allowed, dialogs answered as the test says."""
    context = browser.new_context(service_workers="allow", viewport=PHONE, device_scale_factor=1)
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation({"latitude": 53.4331, "longitude": -2.2291, "accuracy": 12})
    page = context.new_page()
    # Dialogs: the next answers a test puts in page.replies (None dismisses), else "Customer not
    # home"; what each dialog asked is kept in page.asked.
    page.replies, page.asked = [], []

    def answer(dialog):
        page.asked.append(dialog.message)
        reply = page.replies.pop(0) if page.replies else "Customer not home"
        dialog.dismiss() if reply is None else dialog.accept(reply)

    page.on("dialog", answer)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield context, page
    # A route handler still answering a late request must not fail the next test's setup.
    page.unroute_all(behavior="ignoreErrors")
    context.close()
    assert errors == []  # no uncaught error in the app


def log_in(page, base):
    """Log the engineer in on a fresh phone and wait until the service worker controls the page."""
    page.goto(f"{base}/app/")
    page.fill("#email", "engineer@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".card[data-job]")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60_000)  # installs the shell


OUTBOX_EMPTY = """() => new Promise((ok) => { const r = indexedDB.open("field-dispatch");
  r.onsuccess = () => { const c = r.result.transaction("outbox").objectStore("outbox").count();
  c.onsuccess = () => ok(c.result === 0 && document.getElementById("sync").textContent === "All synced"); }; })"""


def synced(page, timeout_s=20.0):
    """Wait until the outbox is empty and the app says so (call after the step shows on screen)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(OUTBOX_EMPTY):
        assert time.monotonic() < deadline, f"still not synced: {page.text_content('#sync')}"
        page.wait_for_timeout(100)


def events(client, world, oid):
    """The order's event log as action names, oldest first."""
    return [e["action"] for e in client.get(f"/api/v1/orders/{oid}/events", headers=world.h("admin")).json]


OUTBOX = """() => new Promise((ok) => { const r = indexedDB.open("field-dispatch");
  r.onsuccess = () => { const q = r.result.transaction("outbox").objectStore("outbox").getAll();
  q.onsuccess = () => ok(q.result.map((row) => [row.label, row.status])); }; })"""


def outbox(page):
    """The phone's outbox as (step, status) pairs, in order."""
    return [tuple(row) for row in page.evaluate(OUTBOX)]


def sign(page, name):
    """Write the signer's name, draw a signature on the pad and save it."""
    page.fill("#signer", name)
    page.locator("#sig").scroll_into_view_if_needed()
    box = page.locator("#sig").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 30 + i * 25, box["y"] + 120 - (i % 3) * 30)
    page.mouse.up()
    page.click("#sig-save")


def asked(page, count=1, timeout_s=20.0):
    """What the app's dialogs asked, once it has asked ``count`` times (a dialog's event comes
    after the click that opened it returns)."""
    deadline = time.monotonic() + timeout_s
    while len(page.asked) < count and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return page.asked
