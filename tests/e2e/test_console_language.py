"""The console speaks the dispatcher's saved language, whatever the browser says; its switch saves one."""

from __future__ import annotations

import pytest

from tests.e2e.test_chinese_screens import console_server  # noqa: F401 - the fixture
from tests.factories import demo_headers

pytestmark = pytest.mark.browser


def test_the_console_follows_the_dispatchers_saved_language_and_the_switch_saves_it(browser, console_server):  # noqa: F811
    base, app = console_server
    client = app.test_client()
    headers = demo_headers(client)
    assert client.patch("/api/v1/auth/me", json={"locale": "zh-CN"}, headers=headers).status_code == 200
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{base}/console")
        assert page.locator("h1").inner_text() == "Dispatch console"  # nobody logged in: the browser's
        page.fill("#email", "dispatcher@example.com")
        page.fill("#password", "demo-dispatch-1")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#app:not([hidden])")
        page.wait_for_function("() => document.querySelector('#message').textContent.includes('还没有方案')")
        assert page.locator("h1").inner_text() == "调度台"
        assert page.locator("html").get_attribute("lang") == "zh-Hans"

        page.click(".langs a[data-locale=en]")
        page.wait_for_function("() => document.querySelector('#message').textContent.includes('No plan')")
        assert page.locator("h1").inner_text() == "Dispatch console"
        assert client.get("/api/v1/auth/me", headers=headers).json["locale"] == "en"
    finally:
        context.close()
