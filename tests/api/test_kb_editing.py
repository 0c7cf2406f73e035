"""Editing articles over HTTP as the editor screen does: an ETag on every read, If-Match on every
change (a stale copy is refused in words that say someone else changed it), Idempotency-Key on
the create and on publishing, the editors' filters and the server-rendered preview."""

from __future__ import annotations

from typing import Any

import pytest

API = "/api/v1"


def _write(client: Any, agent: dict[str, str], **body: Any) -> Any:
    response = client.post(f"{API}/kb/articles", json={"title": "Drain the boiler", **body}, headers=agent)
    assert response.status_code == 201, response.json
    return response


def test_a_stale_copy_is_refused_and_says_someone_else_changed_it(client, world):
    agent = world.h("agent")
    made = _write(client, agent, body="First words.")
    article_id, first_tag = made.json["id"], made.headers["ETag"]
    assert made.headers["Location"].endswith(f"/kb/articles/{article_id}")
    assert (
        client.get(f"{API}/kb/articles/{article_id}?draft=true", headers=agent).headers["ETag"] == first_tag
    )

    mine = client.patch(
        f"{API}/kb/articles/{article_id}",
        json={"body": "My words."},
        headers={**agent, "If-Match": first_tag},
    )
    assert mine.status_code == 200
    assert mine.headers["ETag"] != first_tag
    assert mine.json["version"] == int(mine.headers["ETag"].strip('"v'))

    theirs = client.patch(
        f"{API}/kb/articles/{article_id}",
        json={"body": "Their words."},
        headers={**world.h("admin"), "If-Match": first_tag},
    )
    assert theirs.status_code == 412
    assert "Someone else changed the article “Drain the boiler”" in theirs.json["message"]
    assert theirs.json["errors"]["current_version"] == mine.json["version"]
    kept = client.get(f"{API}/kb/articles/{article_id}?draft=true", headers=agent).json
    assert kept["body"] == "My words."

    stale_publish = client.post(
        f"{API}/kb/articles/{article_id}/publish", headers={**agent, "If-Match": first_tag}
    )
    assert stale_publish.status_code == 412
    missing = client.patch(f"{API}/kb/articles/{article_id}", json={"body": "x"}, headers=agent)
    assert missing.status_code == 428


def test_a_visitors_feedback_does_not_make_the_editors_copy_stale(client, world):
    agent = world.h("agent")
    made = _write(client, agent)
    article_id = made.json["id"]
    published = client.post(
        f"{API}/kb/articles/{article_id}/publish", headers={**agent, "If-Match": made.headers["ETag"]}
    )
    client.post(f"{API}/help/articles/{article_id}/feedback", json={"helpful": True})
    edit = client.patch(
        f"{API}/kb/articles/{article_id}",
        json={"title": "Drain it"},
        headers={**agent, "If-Match": published.headers["ETag"]},
    )
    assert edit.status_code == 200, edit.json


def test_a_retried_create_and_a_double_publish_happen_once(client, world):
    agent = {**world.h("agent"), "Idempotency-Key": "3f2b9c4e-create-once"}
    first = _write(client, agent)
    again = _write(client, agent)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    listed = client.get(f"{API}/kb/articles?drafts=true&title=drain", headers=world.h("agent"))
    assert [a["id"] for a in listed.json] == [first.json["id"]]

    url = f"{API}/kb/articles/{first.json['id']}/publish"
    headers = {**world.h("agent"), "If-Match": first.headers["ETag"], "Idempotency-Key": "3f2b9c4e-publish"}
    one, two = client.post(url, headers=headers), client.post(url, headers=headers)
    assert one.status_code == two.status_code == 200
    assert two.headers["Idempotent-Replayed"] == "true"
    history = client.get(f"{API}/kb/articles/{first.json['id']}/versions", headers=world.h("agent")).json
    assert [(v["number"], v["published_at"] is not None) for v in history] == [(1, True)]


def test_editors_filter_by_status_visibility_and_title(client, world):
    agent = world.h("agent")
    draft = _write(client, agent, title="Bleed a radiator").json
    live = _write(client, agent, title="Reset the thermostat", visibility="internal")
    etag = client.post(
        f"{API}/kb/articles/{live.json['id']}/publish", headers={**agent, "If-Match": live.headers["ETag"]}
    ).headers["ETag"]
    changed = client.patch(
        f"{API}/kb/articles/{live.json['id']}", json={"body": "More."}, headers={**agent, "If-Match": etag}
    )
    assert changed.json["status"] == "changed"

    def titles(query: str) -> list[str]:
        return [a["title"] for a in client.get(f"{API}/kb/articles?drafts=true&{query}", headers=agent).json]

    assert titles("status=draft") == ["Bleed a radiator"]
    assert titles("status=changed") == ["Reset the thermostat"]
    assert titles("visibility=internal") == ["Reset the thermostat"]
    assert titles("title=RADIATOR") == ["Bleed a radiator"]
    assert titles("title=100%25") == []
    assert client.get(f"{API}/kb/articles?status=later", headers=agent).status_code == 422

    off = client.post(
        f"{API}/kb/articles/{live.json['id']}/unpublish",
        headers={**agent, "If-Match": changed.headers["ETag"]},
    )
    assert off.json["status"] == "unpublished"
    assert titles("status=unpublished") == ["Reset the thermostat"]
    again = client.post(
        f"{API}/kb/articles/{live.json['id']}/publish", headers={**agent, "If-Match": off.headers["ETag"]}
    )
    assert again.status_code == 200, again.json
    assert again.json["status"] == "published"
    not_live = client.post(f"{API}/kb/articles/{draft['id']}/unpublish", headers={**agent, "If-Match": "*"})
    assert not_live.status_code == 409


def test_the_preview_is_the_help_centres_own_sanitised_rendering(client, world):
    body = "## 清理排水管\n\nUse a hose. <script>alert(1)</script> [x](javascript:alert(1))"
    shown = client.post(f"{API}/kb/preview", json={"body": body}, headers=world.h("agent"))
    assert shown.status_code == 200
    html = shown.json["html"]
    assert '<h2 id="' in html
    assert "清理排水管" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    refused = client.post(f"{API}/kb/preview", json={"body": "x"}, headers=world.h("dispatcher"))
    assert refused.status_code == 403
    assert "may not preview knowledge base articles" in refused.json["message"]


def test_of_two_editors_who_read_the_same_copy_the_second_is_refused_even_at_once(app, world):
    from dispatch.access import SYSTEM
    from dispatch.kb import service as kb
    from dispatch.kb.models import Article

    sessions = app.extensions["dispatch.db"].sessions
    with sessions() as session:
        article_id = kb.create(session, actor=SYSTEM, draft=kb.Draft(title="Drain the boiler")).id
        session.commit()
    first, second = sessions(), sessions()
    try:
        assert first.get(Article, article_id).version == second.get(Article, article_id).version == 1
        kb.update(
            first, actor=SYSTEM, article_id=article_id, draft=kb.Draft(body="Mine."), expected_version=1
        )
        first.commit()
        # The second read version 1 before the first saved: its check passes, the conditional write does not.
        with pytest.raises(kb.ArticleChanged):
            kb.update(
                second,
                actor=SYSTEM,
                article_id=article_id,
                draft=kb.Draft(body="Theirs."),
                expected_version=1,
            )
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as session:
        assert session.get(Article, article_id).version == 2
