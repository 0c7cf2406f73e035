"""The engineers' PWA speaks the engineer's language: every text it shows is in the shared catalogs
(/i18n/<locale>.json) with a Chinese translation, and a phone set to Chinese shows the app in
Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.conftest import repo_root
from tests.e2e.pwa import PHONE
from tests.factories import PASSWORD

# _("...") and ngettext("...", ...) in the app's modules: what the engineer can be shown.
CALLS = re.compile(r'(?<![\w.$])(?:_|ngettext)\(\s*"((?:[^"\\]|\\.)*)"')


def pwa_texts() -> set[str]:
    found: set[str] = set()
    for path in (repo_root() / "mobile_pwa").glob("*.js"):
        found.update(CALLS.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_text_of_the_app_is_in_the_chinese_catalog_it_fetches(client):
    texts = pwa_texts()
    assert len(texts) > 100  # the scan finds the app's texts
    catalog = client.get("/i18n/zh_Hans.json").json["messages"]
    missing = sorted(t for t in texts if not catalog.get(t))
    assert missing == []  # each extracted by `make translations` and translated
    assert catalog["Not sent — the office changed this job."] == "未发送 — 调度室修改了这张工单。"


@pytest.mark.browser
def test_a_phone_set_to_chinese_shows_the_app_in_chinese(browser, live_server, world, artifacts):
    context = browser.new_context(
        service_workers="allow", viewport=PHONE, device_scale_factor=1, locale="zh-CN"
    )
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server}/app/")
        page.wait_for_selector("text=你的工单保存在这部手机上")
        assert page.text_content("button[type=submit]") == "登录"
        page.screenshot(path=artifacts / "pwa-zh-login.png")
        page.fill("#email", "engineer@example.com")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(".card[data-job]")
        assert page.text_content(".bar .title") == "工单"
        assert page.text_content("h1") == "我的工单"
        assert page.text_content("#logout") == "退出登录"
        page.screenshot(path=artifacts / "pwa-zh-jobs.png")
        page.click(f".card[data-job='{world.ids['o_site']}']")
        page.wait_for_selector("[data-act=complete]")
        assert page.text_content("[data-act=complete]") == "完工"
        assert page.text_content(".status") == "已到达现场"
        page.wait_for_selector("#history li:not(.muted)")
        page.screenshot(path=artifacts / "pwa-zh-on-site.png", full_page=True)

        # Offline, a reload still opens the app in Chinese: the shell and the catalog are kept.
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60_000)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("[data-act=complete]")
        assert page.text_content("[data-act=complete]") == "完工"
        assert page.text_content(".status") == "已到达现场"
        assert "离线" in page.text_content("#sync")
        context.set_offline(False)

        assert errors == []
    finally:
        context.close()
