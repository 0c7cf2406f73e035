"""The API docs page renders in a real browser with every outside host unreachable."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import block_outside
from tests.e2e.csp import watch_csp

pytestmark = pytest.mark.browser


def test_docs_page_renders_every_operation_without_internet(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = block_outside(context, live_server)
    blocked = watch_csp(context)  # Swagger UI works under the Content-Security-Policy
    page = context.new_page()
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock-summary", timeout=15_000)
    assert "Field-service dispatch API" in page.inner_text(".information-container")
    operations = page.locator(".opblock-summary").count()
    assert operations >= 36
    # Open one operation: its parameters and responses render from the local document.
    page.locator(".opblock-summary", has_text="/api/v1/orders/{order_id}/cancel").first.click()
    page.wait_for_selector("text=If-Match")
    page.screenshot(path=str(artifacts / "api-docs.png"), full_page=False)
    assert outside == []
    assert blocked == []
    context.close()
