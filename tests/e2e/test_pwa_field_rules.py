"""The engineers' PWA with the field rules on, as deployed: a check-in the rules refuse says so with
both order numbers (not "the office changed this job"), and goes through once the engineer has done
what the message says; dropping a refused step sends the steps made since instead of undoing them."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from dispatch.db import utcnow
from dispatch.orders.models import Order
from tests.e2e.pwa import asked, events, log_in, outbox, phone_fixture, synced

pytestmark = pytest.mark.browser
__all__ = ["phone_fixture"]  # the fixture "phone"

API = "/api/v1"


@pytest.fixture(scope="module")
def app(app_settings: dict[str, Any]) -> Any:
    """The app with the field rules on."""
    made = create_app({**app_settings, "field_rules": True})
    yield made
    made.extensions["dispatch.db"].engine.dispose()


def visit_today(app, oid):
    """Plan the visit for now (the world's visits are tomorrow)."""
    session = app.extensions["dispatch.db"].sessions()
    session.get(Order, oid).scheduled_start = utcnow()
    session.commit()
    session.close()


def order(client, world, oid):
    return client.get(f"{API}/orders/{oid}", headers=world.h("admin")).json


def test_a_check_in_the_field_rules_refuse_says_why_and_goes_once_the_other_job_is_closed(
    phone, live_server, client, world, app, artifacts
):
    _context, page = phone
    oid, busy = world.ids["o_route"], world.ids["o_site"]  # travelling here, still on site there
    visit_today(app, oid)
    log_in(page, live_server)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=check-in]")
    page.wait_for_selector(".conflict-box[data-refusal=rule]")
    box = page.text_content(".conflict-box")
    assert "a rule of the field stops this step" in box
    assert order(client, world, busy)["number"] in box
    assert order(client, world, oid)["number"] in box
    assert "office changed" not in box
    assert page.text_content(".status") == "Travelling"
    page.screenshot(path=artifacts / "pwa-field-rule.png")

    etag = client.get(f"{API}/orders/{busy}", headers=world.h("admin")).headers["ETag"]
    closed = client.post(
        f"{API}/orders/{busy}/incomplete",
        json={"reason": "Part on order"},
        headers=world.h("engineer", **{"If-Match": etag}),
    )
    assert closed.status_code == 200, closed.json
    page.click("#resend")
    page.wait_for_selector(".status.on_site")
    synced(page)
    assert order(client, world, oid)["status"] == "on_site"
    assert events(client, world, oid).count("check_in") == 1


def test_dropping_a_refused_step_sends_the_steps_made_since(phone, live_server, client, world, app):
    context, page = phone
    oid = world.ids["o_acc"]  # accepted, planned for tomorrow: the day rule refuses its check-in
    log_in(page, live_server)
    context.set_offline(True)
    page.click(f".card[data-job='{oid}']")
    page.click("[data-act=start-travel]")
    page.click("[data-act=check-in]")
    page.wait_for_selector("#note")
    page.fill("#note", "Gate code 4711")
    page.click("#note-save")
    page.wait_for_selector(".history >> text=Gate code 4711")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(".conflict-box[data-refusal=rule]")
    assert "not today" in page.text_content(".conflict-box")
    assert outbox(page) == [("check-in", "conflict"), ("note", "pending")]
    page.click("#discard")  # the dialog asks first (answered yes): the note stays queued
    assert asked(page) == ["Drop only the check-in? The step queued after it stays and is sent next."]
    # Sent, and refused in turn (notes are written on site): shown to the engineer, not dropped.
    page.wait_for_selector(".conflict-box[data-refusal=moved] >> text=Your step “Note” was refused")
    assert outbox(page) == [("note", "conflict")]
    assert order(client, world, oid)["status"] == "en_route"  # the start of travel was not undone
    assert events(client, world, oid).count("start_travel") == 1
