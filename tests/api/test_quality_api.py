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
