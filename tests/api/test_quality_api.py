"""The agents' quality review page: served to anyone (it reads the API with the desk's login), in
the reader's language."""

from __future__ import annotations


def test_the_reviews_page_is_served_in_the_readers_language(client):
    english = client.get("/desk/reviews")
    assert english.status_code == 200
    assert "My quality reviews" in english.get_data(as_text=True)
    chinese = client.get("/desk/reviews", headers={"Accept-Language": "zh-CN"})
    assert "我的质检评审" in chinese.get_data(as_text=True)
    assert english.headers["Cache-Control"] == "no-store"


def test_the_leads_page_is_served_and_me_says_who_reviews_quality(client, world):
    page = client.get("/desk/quality", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "抽取一周的样本" in page.get_data(as_text=True)
    leads = {
        role: client.get("/api/v1/auth/me", headers=world.h(role)).json["quality_lead"]
        for role in ("admin", "dispatcher", "agent", "engineer")
    }
    # the world's agent leads no desk team (yet): only admins and dispatchers review
    assert leads == {"admin": True, "dispatcher": True, "agent": False, "engineer": False}
