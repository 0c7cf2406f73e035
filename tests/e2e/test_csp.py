"""The Content-Security-Policy in Chromium: it really blocks what it should, and the engineers' app,
the start page and the API docs work under it with nothing blocked (the console's and the customer
pages' own browser tests watch for violations too)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import block_outside
from tests.e2e.csp import watch_csp
from tests.factories import PASSWORD
from tests.images import jpeg_bytes

pytestmark = pytest.mark.browser


def test_the_policy_blocks_an_injected_inline_script_and_the_watch_sees_it(browser, live_server):
    context = browser.new_context()
    blocked = watch_csp(context)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/account/login")
        assert blocked == []
        # What an injected <script> would do (e.g. through a stored cross-site scripting hole).
        directive = page.evaluate("""() => new Promise((done) => {
          document.addEventListener("securitypolicyviolation", (e) => done(e.violatedDirective));
          const s = document.createElement("script");
          s.textContent = "window.pwned = true";
          document.body.appendChild(s);
        })""")
        assert directive.startswith("script-src")
        assert page.evaluate("window.pwned === undefined")
        for _ in range(40):  # the watch hears of it through a binding: give the message a moment
            if blocked:
                break
            page.wait_for_timeout(50)
        assert any("script-src" in b for b in blocked), blocked
    finally:
        context.close()


def test_the_engineers_app_and_the_start_page_work_under_the_policy(browser, live_server, world, tmp_path):
    context = browser.new_context(service_workers="allow", viewport={"width": 412, "height": 860})
    outside = block_outside(context, live_server)
    blocked = watch_csp(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server}/")
        assert page.locator("a[href='/console']").count() == 1
        page.goto(f"{live_server}/app/")
        page.fill("#email", "engineer@example.com")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(".card[data-job]")
        page.wait_for_function("() => !!navigator.serviceWorker.controller")  # the service worker runs too
        oid = world.ids["o_disp"]
        page.click(f".card[data-job='{oid}']")
        for step in ("accept", "start-travel", "check-in"):
            page.click(f"[data-act={step}]")
        photo = tmp_path / "boiler.jpg"
        photo.write_bytes(jpeg_bytes(800, 600))
        page.wait_for_selector("#photo", state="attached")
        page.set_input_files("#photo", str(photo))
        page.wait_for_selector(".thumbs img")  # a photo kept on the phone, shown from a blob/data URL
        assert page.evaluate("document.querySelector('.thumbs img').naturalWidth") > 0
        assert blocked == []
        assert errors == []
        assert outside == []
    finally:
        page.unroute_all(behavior="ignoreErrors")
        context.close()
