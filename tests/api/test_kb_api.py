"""The knowledge base over HTTP: editors write and publish, the help centre reads, suggests and
records "did this help?" and self-service; the pages render what a visitor may see."""

from __future__ import annotations

from typing import Any

import pytest

API = "/api/v1"


@pytest.fixture
def articles(client, world) -> dict[str, Any]:
    """An agent writes a public article (with hostile markup), an internal one and a draft."""
    agent = world.h("agent")
    made = {}
    for name, body in {
        "public": {
            "title": "空调漏水 Air conditioner leaking",
            "body": "Check the drain.\n\n## 清理排水管\n\n用软管清理。<script>alert(1)</script> [x](javascript:alert(1))",
            "tags": ["Aircon", "leak"],
        },
        "internal": {"title": "Leak refunds", "body": "Leads only.", "visibility": "internal"},
        "draft": {"title": "Leak draft", "body": "Soon."},
    }.items():
        response = client.post(f"{API}/kb/articles", json=body, headers=agent)
        assert response.status_code == 201, response.json
        made[name] = response.json["id"]
        if name != "draft":
            published = client.post(
                f"{API}/kb/articles/{made[name]}/publish",
                headers={**agent, "If-Match": response.headers["ETag"]},
            )
            assert published.status_code == 200, published.json
    return made


def test_suggest_answers_with_published_public_articles_for_visitors(client, articles):
    response = client.get(f"{API}/help/suggest", query_string={"q": "leak"})
    assert response.status_code == 200
    (item,) = response.json["items"]
    assert set(item) >= {"id", "title", "url", "snippet"}
    assert item["id"] == articles["public"]
    assert item["url"].startswith(f"/help/articles/{articles['public']}")
    chinese = client.get(f"{API}/help/suggest", query_string={"q": "漏水"}).json["items"]
    assert [i["id"] for i in chinese] == [articles["public"]]
    section = client.get(f"{API}/help/suggest", query_string={"q": "软管"}).json["items"][0]
    assert section["url"].endswith("#清理排水管")
    assert "<mark>软管</mark>" in section["snippet_html"]
    assert "软管" in section["snippet"]
    assert "\x02" not in section["snippet"]


def test_agents_also_get_internal_articles_but_never_drafts(client, world, articles):
    found = client.get(f"{API}/help/suggest", query_string={"q": "leak"}, headers=world.h("agent")).json
    assert sorted(i["id"] for i in found["items"]) == sorted([articles["public"], articles["internal"]])
    customer = client.get(f"{API}/help/suggest", query_string={"q": "leak"}, headers=world.h("customer")).json
    assert [i["id"] for i in customer["items"]] == [articles["public"]]


def test_suggest_says_what_was_wrong_with_the_question(client):
    missing = client.get(f"{API}/help/suggest")
    assert missing.status_code == 422
    assert "q" in missing.json["errors"]["query"]
    too_long = client.get(f"{API}/help/suggest", query_string={"q": "x" * 201})
    assert too_long.status_code == 422


def test_articles_are_shown_sanitised(client, articles):
    shown = client.get(f"{API}/help/articles/{articles['public']}").json
    assert "<script" not in shown["html"]
    assert 'href="javascript' not in shown["html"]
    assert '<h2 id="清理排水管">' in shown["html"]
    assert shown["tags"] == ["aircon", "leak"]
    page = client.get(f"/help/articles/{articles['public']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text
    assert "Did this answer your question?" in text


def test_drafts_and_internal_articles_are_not_found_by_visitors(client, articles):
    for name in ("draft", "internal"):
        assert client.get(f"{API}/help/articles/{articles[name]}").status_code == 404
        assert client.get(f"/help/articles/{articles[name]}").status_code == 404
    listed = [a["id"] for a in client.get(f"{API}/help/articles").json]
    assert listed == [articles["public"]]


def test_an_edit_is_a_new_version_readers_see_once_published(client, world, articles):
    agent, article_id = world.h("agent"), articles["public"]
    read = client.get(f"{API}/kb/articles/{article_id}", headers=agent)
    edited = client.patch(
        f"{API}/kb/articles/{article_id}",
        json={"title": "Aircon drips"},
        headers={**agent, "If-Match": read.headers["ETag"]},
    )
    assert edited.json["shown_version"] == 2
    assert edited.json["published_version"] == 1
    assert edited.json["status"] == "changed"
    assert client.get(f"{API}/help/articles/{article_id}").json["title"].startswith("空调漏水")
    agent = {**agent, "If-Match": edited.headers["ETag"]}
    assert client.post(f"{API}/kb/articles/{article_id}/publish", headers=agent).json["status"] == "published"
    assert client.get(f"{API}/help/articles/{article_id}").json["title"] == "Aircon drips"
    history = client.get(f"{API}/kb/articles/{article_id}/versions", headers=agent).json
    assert [v["number"] for v in history] == [2, 1]
    agent["If-Match"] = "*"
    again = client.post(f"{API}/kb/articles/{article_id}/publish", headers=agent)
    assert again.status_code == 409
    assert "already published" in again.json["message"]


def test_did_this_help_counts_once_per_visitor(client, app, articles):
    url = f"{API}/help/articles/{articles['public']}/feedback"
    first = client.post(url, json={"helpful": True})
    assert first.status_code == 200
    assert "kb_visitor=" in first.headers["Set-Cookie"]
    client.post(url, json={"helpful": True})
    assert client.post(url, json={"helpful": True}).json == {"helpful_yes": 1, "helpful_no": 0}
    other = app.test_client()
    assert other.post(url, json={"helpful": False}).json == {"helpful_yes": 1, "helpful_no": 1}
    assert client.post(url, json={"helpful": False}).json == {"helpful_yes": 0, "helpful_no": 2}
    assert client.post(url, json={}).status_code == 422


def test_questions_answered_by_an_article_are_recorded_as_self_service(client, app, world, articles):
    from sqlalchemy import select

    from dispatch.kb.models import SelfService
    from tests.desk_factories import open_ticket

    with app.extensions["dispatch.db"].sessions() as session:
        ticket_id = open_ticket(session, world.ids["c1"]).id
        session.commit()
    app.extensions["dispatch.queue"].wait_idle()
    url = f"{API}/help/articles/{articles['public']}/answered"
    assert client.post(url).status_code == 201
    assert client.post(url).status_code == 201  # the same visitor again: still one
    solved = f"{API}/kb/articles/{articles['public']}/solved-tickets"
    assert client.post(solved, json={"ticket_id": ticket_id}, headers=world.h("agent")).status_code == 201
    other = f"{API}/kb/articles/{articles['internal']}/solved-tickets"
    clash = client.post(other, json={"ticket_id": ticket_id}, headers=world.h("agent"))
    assert clash.status_code == 409
    missing = client.post(solved, json={"ticket_id": 999999}, headers=world.h("agent"))
    assert missing.status_code == 404
    with app.extensions["dispatch.db"].sessions() as session:
        rows = session.scalars(select(SelfService).order_by(SelfService.id)).all()
        assert [(r.source.value, r.ticket_id) for r in rows] == [("customer", None), ("agent", ticket_id)]


def test_the_help_centre_lists_categories_and_searches_without_script(client, world, articles):
    agent = world.h("agent")
    category = client.post(f"{API}/kb/categories", json={"name": "Cooling"}, headers=agent).json
    client.patch(
        f"{API}/kb/articles/{articles['public']}",
        json={"category_id": category["id"]},
        headers={**agent, "If-Match": "*"},
    )
    home = client.get("/help").get_data(as_text=True)
    assert "Cooling" in home
    assert "Air conditioner leaking" in home
    assert "Leak refunds" not in home
    found = client.get("/help", query_string={"q": "软管"}).get_data(as_text=True)
    assert "<mark>软管</mark>" in found
    nothing = client.get("/help", query_string={"q": "zebra"}).get_data(as_text=True)
    assert "No article has all of these words" in nothing


def test_the_help_centre_speaks_chinese(client, articles):
    page = client.get("/help", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "帮助中心" in page


def test_category_tree_refuses_loops_and_removes_only_empty_ones(client, world, articles):
    agent = world.h("agent")
    parent = client.post(f"{API}/kb/categories", json={"name": "Heating"}, headers=agent).json
    child = client.post(
        f"{API}/kb/categories", json={"name": "Boilers", "parent_id": parent["id"]}, headers=agent
    ).json
    loop = client.patch(f"{API}/kb/categories/{parent['id']}", json={"parent_id": child["id"]}, headers=agent)
    assert loop.status_code == 422
    assert client.delete(f"{API}/kb/categories/{parent['id']}", headers=agent).status_code == 409
    same = client.post(f"{API}/kb/categories", json={"name": "Heating"}, headers=agent)
    assert same.status_code == 409
    tree = [c["name"] for c in client.get(f"{API}/help/categories").json]
    assert tree == ["Heating", "Boilers"]
