# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""The reader's language on API answers and pages: saved language, switch, browser, company default."""

from __future__ import annotations

import re
from typing import Any

from api import create_app


def _refused_dispatch(client: Any, world: Any, **headers: str) -> Any:
    """Dispatching a new order (it must be scheduled first) is refused with a sentence."""
    order = world.ids["o_new"]
    etag = client.get(f"/api/v1/orders/{order}", headers=world.h("dispatcher")).headers["ETag"]
    return client.post(
        f"/api/v1/orders/{order}/dispatch", headers=world.h("dispatcher", **{"If-Match": etag, **headers})
    )


def test_api_errors_follow_the_browsers_language_and_keep_their_codes(client, world):
    english = _refused_dispatch(client, world)
    chinese = _refused_dispatch(client, world, **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert english.status_code == chinese.status_code == 409
    assert english.json["message"].startswith("cannot dispatch an order that is not yet planned")
    assert "无法" in chinese.json["message"]
    assert chinese.json["status"] == "Conflict"  # codes and field names stay stable
    assert (
        chinese.json["errors"]
        == english.json["errors"]
        == {
            "current_status": "new",
            "target_status": "dispatched",
        }
    )


def test_a_saved_language_wins_over_the_browsers(client, world):
    saved = client.patch("/api/v1/auth/me", json={"locale": "zh-CN"}, headers=world.h("dispatcher"))
    assert saved.status_code == 200
    assert saved.json["locale"] == "zh_Hans"
    assert "无法" in _refused_dispatch(client, world, **{"Accept-Language": "en"}).json["message"]
    cleared = client.patch("/api/v1/auth/me", json={"locale": None}, headers=world.h("dispatcher"))
    assert cleared.json["locale"] is None
    assert _refused_dispatch(client, world).json["message"].startswith("cannot dispatch")


def test_an_unknown_language_is_refused_with_the_choices(client, world):
    refused = client.patch("/api/v1/auth/me", json={"locale": "tlh"}, headers=world.h("agent"))
    assert refused.status_code == 422
    assert "zh_Hans" in refused.json["message"]
    assert refused.json["errors"] == {"locale": ["unknown language"]}


def test_the_switch_sets_this_browsers_language_and_goes_back_only_to_this_site(client, world):
    switched = client.get("/i18n/switch/zh-Hans?next=/book")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/book"
    assert "lang=zh_Hans" in switched.headers["Set-Cookie"]
    assert "无法" in _refused_dispatch(client, world).json["message"]
    away = client.get("/i18n/switch/en?next=https://evil.example/")
    assert away.headers["Location"] == "/"
    assert client.get("/i18n/switch/en?next=//evil.example/").headers["Location"] == "/"


def test_the_company_default_applies_when_the_browser_says_nothing(app_settings, clean_db):
    app = create_app({**app_settings, "default_locale": "zh-CN"})
    try:
        listed = app.test_client().get("/i18n/locales.json")
        assert listed.json["default"] == "zh_Hans"
        assert [lang["id"] for lang in listed.json["available"]] == ["en", "zh_Hans"]
    finally:
        app.extensions["dispatch.db"].engine.dispose()


def test_the_browser_catalog_answers_for_known_languages_only(client):
    chinese = client.get("/i18n/zh-CN.json")
    assert chinese.status_code == 200
    assert chinese.json["locale"] == "zh_Hans"
    assert chinese.json["nplurals"] == 1
    unknown = client.get("/i18n/tlh.json", headers={"Accept-Language": "zh-CN"})
    assert unknown.status_code == 404
    assert unknown.json["message"] == "没有 'tlh' 的语言包：可用的语言有 en, zh_Hans。"
    script = client.get("/i18n/i18n.js")
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert b"export function _(" in script.data
    script.close()


def test_validation_messages_follow_the_readers_language_and_keep_field_names(client, world):
    bad = {"name": "", "email": "not-an-address"}
    english = client.post("/api/v1/customers", json=bad, headers=world.h("dispatcher"))
    chinese = client.post(
        "/api/v1/customers", json=bad, headers=world.h("dispatcher", **{"Accept-Language": "zh-CN"})
    )
    assert english.status_code == chinese.status_code == 422
    assert english.json["errors"]["json"]["email"] == ["Not a valid email address."]
    assert chinese.json["errors"]["json"]["email"] == ["不是有效的电子邮箱地址。"]
    assert set(chinese.json["errors"]["json"]) == set(english.json["errors"]["json"])  # field names stay
    assert chinese.json["status"] == "Unprocessable Entity"
    assert "email" in chinese.json["message"]
    assert "字段" in chinese.json["message"]


def test_marshmallow_sentences_with_values_are_translated_with_the_same_values(client, world):
    zh = world.h("dispatcher", **{"Accept-Language": "zh-CN"})
    listed = client.get("/api/v1/orders?page_size=100000", headers=zh)
    assert listed.status_code == 422
    (message,) = listed.json["errors"]["query"]["page_size"]
    assert message.startswith("必须")
    assert any(ch.isdigit() for ch in message)


def test_every_marshmallow_sentence_has_a_catalog_entry():
    """A marshmallow upgrade that adds a sentence fails here until it is listed (and so translated)."""
    import inspect

    import marshmallow
    from marshmallow import fields, validate

    from api.validation_messages import _patterns

    sentences: set[str] = set(marshmallow.Schema._default_error_messages.values())
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        sentences |= set(getattr(cls, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attr, value in vars(cls).items():
            named = attr.startswith("message") or attr in {"default_message", "default_error_message"}
            if named and isinstance(value, str) and value.endswith("."):  # sentences, not the words in them
                sentences.add(value)
    samples = {
        "{min_op} {{min}}": "greater than {min}",
        "{max_op} {{max}}": "less than {max}",
        "{input!r}": "{input}",
    }
    patterns = [pattern for pattern, _template in _patterns()]
    for sentence in sentences:
        text = sentence
        for placeholder, value in samples.items():
            text = text.replace(placeholder, value)
        text = re.sub(r"\{(\w+)\}", "7", text)
        assert any(p.fullmatch(text) for p in patterns), sentence


def test_our_own_validation_sentences_follow_the_readers_language_too(client, world):
    bad = {"name": "Grace Hall", "email": "grace2@example.com", "phone": "call me"}
    english = client.post("/api/v1/customers", json=bad, headers=world.h("dispatcher"))
    chinese = client.post(
        "/api/v1/customers", json=bad, headers=world.h("dispatcher", **{"Accept-Language": "zh-CN"})
    )
    assert english.status_code == chinese.status_code == 422
    assert english.json["errors"]["json"]["phone"] == [
        "not a phone number: use 6 to 20 digits, optionally with a leading +"
    ]
    assert chinese.json["errors"]["json"]["phone"][0].startswith("不是有效的电话号码")


def test_werkzeugs_own_errors_and_role_refusals_speak_the_readers_language(client, world):
    zh = {"Accept-Language": "zh-CN"}
    missing = client.get("/api/v1/no-such-thing", headers=zh)
    assert missing.status_code == 404
    assert missing.json["code"] == 404
    assert missing.json["status"] == "Not Found"
    assert missing.json["message"] == "此地址下没有内容：请检查网址。"
    assert (
        client.get("/api/v1/no-such-thing").json["message"]
        == "There is nothing at this address: check the URL."
    )
    wrong_method = client.put("/api/v1/auth/login", json={}, headers=zh)
    assert wrong_method.status_code == 405
    assert wrong_method.json["message"].startswith("此地址不接受 PUT 请求")
    assert "POST" in wrong_method.json["message"]

    # A refusal is one sentence in the reader's language, roles named in it too (no English left).
    refused = client.post(
        "/api/v1/skills", json={"code": "gas", "name": "Gas"}, headers=world.h("engineer", **zh)
    )
    assert refused.status_code == 403
    assert refused.json["message"] == "您的角色（工程师）不能管理技能（允许的角色：管理员和调度员）。"
    english = client.post("/api/v1/skills", json={"code": "gas", "name": "Gas"}, headers=world.h("engineer"))
    assert (
        english.json["message"]
        == "Your role (engineer) may not manage skills (allowed: admin and dispatcher)."
    )


def test_messages_naming_a_thing_are_whole_sentences_in_the_readers_language(client, world):
    zh = {"Accept-Language": "zh-CN"}
    missing = client.get("/api/v1/orders/99999", headers=world.h("dispatcher", **zh))
    assert missing.status_code == 404
    assert missing.json["message"] == "找不到工单 99999"
    assert client.get("/api/v1/orders/99999", headers=world.h("dispatcher")).json["message"] == (
        "order 99999 not found"
    )
    taken = client.post(
        "/api/v1/skills", json={"code": "gas", "name": "Gas again"}, headers=world.h("admin", **zh)
    )
    assert taken.status_code == 409
    assert taken.json["message"] == "代码为 'gas' 的技能已存在"
    assert taken.json["errors"] == {"code": ["already used"]}  # field details stay stable
    url = f"/api/v1/orders/{world.ids['o_new']}"
    client.patch(
        url, json={"description": "Bring a ladder"}, headers=world.h("dispatcher", **{"If-Match": '"v1"'})
    )
    stale = client.patch(
        url, json={"description": "x"}, headers=world.h("dispatcher", **{"If-Match": '"v1"'}, **zh)
    )
    assert stale.status_code == 412
    assert re.fullmatch(
        r"工单 WO-\d+ 在您读取之后已被修改（您提交的是第 1 版，现在是第 2 版）：请重新加载后再试",
        stale.json["message"],
    )
