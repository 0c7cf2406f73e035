"""Knowledge base search on the test database (SQLite FTS5, or PostgreSQL tsvector): English, Chinese,
mixed; titles above bodies; snippets; drafts and internal articles never found by the public."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.access import Actor, Role
from dispatch.errors import Conflict, Forbidden, Invalid
from dispatch.kb import feedback
from dispatch.kb import service as kb
from dispatch.kb import text as kbtext
from dispatch.kb.models import Visibility
from dispatch.kb.search import START, STOP

AGENT = Actor(role=Role.AGENT)
CUSTOMER = Actor(role=Role.CUSTOMER, customer_id=1)


def publish(session: Any, title: str, body: str, **kwargs: Any) -> int:
    article = kb.create(session, actor=AGENT, draft=kb.Draft(title=title, body=body, **kwargs))
    kb.publish(session, actor=AGENT, article_id=article.id)
    return article.id


def titles(session: Any, query: str, actor: Actor | None = None) -> list[str]:
    return [found.view.content.title for found in kb.find(session, actor=actor, query=query)]


@pytest.fixture
def library(db_session):
    """A few published articles in English and Chinese, one internal, one draft."""
    ids = {
        "aircon": publish(
            db_session,
            "空调漏水怎么办",
            "空调室内机漏水，多半是排水管堵了。\n\n## 清理排水管\n\n关掉电源，用软管把排水管里的脏东西吹出来。",  # noqa: RUF001 - Chinese punctuation
        ),
        "sky": publish(db_session, "天空调色板", "和维修没有关系的文章。"),
        "boiler": publish(
            db_session,
            "Boiler pressure is low",
            "Top up the boiler with the filling loop.\n\n## Dripping water\n\nA leaking unit drips water.",
        ),
        "leak_title": publish(db_session, "Water leak under the sink", "Turn off the stopcock first."),
        "mixed": publish(db_session, "Daikin 空调 error E7", "The fan motor is blocked. 风扇电机卡住。"),
        "internal": publish(
            db_session,
            "Refund policy for 漏水 damage",
            "Only team leads refund.",
            visibility=Visibility.INTERNAL,
        ),
    }
    draft = kb.create(
        db_session, actor=AGENT, draft=kb.Draft(title="Leak draft 漏水草稿", body="Not ready 漏水")
    )
    ids["draft"] = draft.id
    db_session.commit()
    return ids


def test_a_two_character_chinese_word_finds_every_article_that_contains_it(db_session, library):
    assert set(titles(db_session, "空调")) == {"空调漏水怎么办", "Daikin 空调 error E7", "天空调色板"}
    assert titles(db_session, "漏水") == ["空调漏水怎么办"]
    assert titles(db_session, "排水管") == ["空调漏水怎么办"]


def test_a_real_word_ranks_above_the_same_characters_across_two_words(db_session, library):
    found = titles(db_session, "空调")
    assert found.index("天空调色板") > found.index("空调漏水怎么办")


def test_english_words_match_with_the_last_one_as_a_prefix_while_typing(db_session, library):
    assert titles(db_session, "boiler pressure") == ["Boiler pressure is low"]
    assert titles(db_session, "boil") == ["Boiler pressure is low"]
    assert titles(db_session, "stopcock turn") == ["Water leak under the sink"]


def test_mixed_english_and_chinese_queries_need_every_word(db_session, library):
    assert titles(db_session, "daikin 空调") == ["Daikin 空调 error E7"]
    assert titles(db_session, "风扇 fan") == ["Daikin 空调 error E7"]
    assert titles(db_session, "daikin 漏水") == []


def test_a_word_in_the_title_ranks_above_the_same_word_in_a_body(db_session, library):
    found = titles(db_session, "leak")
    assert found == ["Water leak under the sink", "Boiler pressure is low"]


def test_snippets_mark_the_words_found_and_point_to_the_section(db_session, library):
    (hit,) = kb.find(db_session, actor=None, query="软管")
    assert f"{START}软管{STOP}" in hit.hit.snippet
    assert " " not in hit.hit.snippet.strip()  # the word split's spaces are taken out again
    assert hit.hit.heading == "清理排水管"
    assert hit.hit.anchor == "清理排水管"
    (english,) = kb.find(db_session, actor=None, query="drips")
    assert f"{START}drips{STOP}" in english.hit.snippet
    assert english.hit.anchor == "dripping-water"


def test_a_word_still_being_typed_is_marked_whole_in_the_snippet(db_session, library):
    (hit,) = kb.find(db_session, actor=None, query="unit dri")
    assert f"{START}drips{STOP}" in hit.hit.snippet
    assert hit.hit.anchor == "dripping-water"


def test_drafts_and_internal_articles_never_reach_the_public(db_session, library):
    assert titles(db_session, "refund") == []
    assert titles(db_session, "refund", actor=CUSTOMER) == []
    assert titles(db_session, "refund", actor=AGENT) == ["Refund policy for 漏水 damage"]
    assert "Leak draft 漏水草稿" not in titles(db_session, "漏水", actor=AGENT)
    assert titles(db_session, "草稿", actor=AGENT) == []
    with pytest.raises(Exception, match="not found"):
        kb.get_or_raise(db_session, actor=None, article_id=library["internal"])
    with pytest.raises(Exception, match="not found"):
        kb.get_or_raise(db_session, actor=None, article_id=library["draft"])


def test_a_new_version_is_not_seen_until_it_is_published(db_session, library):
    article_id = library["leak_title"]
    kb.update(
        db_session, actor=AGENT, article_id=article_id, draft=kb.Draft(title="Dripping tap", body="Washer.")
    )
    assert titles(db_session, "washer") == []
    assert (
        kb.get_or_raise(db_session, actor=None, article_id=article_id).content.title
        == "Water leak under the sink"
    )
    assert kb.get_or_raise(db_session, actor=AGENT, article_id=article_id, draft=True).content.number == 2
    kb.publish(db_session, actor=AGENT, article_id=article_id)
    assert titles(db_session, "washer") == ["Dripping tap"]
    assert titles(db_session, "stopcock") == []
    history = kb.versions(db_session, actor=AGENT, article_id=article_id)
    assert [(v.number, v.title) for v in history] == [(2, "Dripping tap"), (1, "Water leak under the sink")]
    with pytest.raises(Conflict):
        kb.publish(db_session, actor=AGENT, article_id=article_id)


def test_unpublishing_takes_an_article_out_of_search(db_session, library):
    kb.unpublish(db_session, actor=AGENT, article_id=library["boiler"])
    assert titles(db_session, "boiler") == []


def test_only_agents_and_admins_write(db_session):
    for role in (Role.DISPATCHER, Role.ENGINEER, Role.CUSTOMER):
        with pytest.raises(Forbidden):
            kb.create(db_session, actor=Actor(role=role), draft=kb.Draft(title="x", body="y"))


def test_a_search_without_words_finds_nothing_and_a_long_one_is_refused(db_session, library):
    assert titles(db_session, "!!! ???") == []
    with pytest.raises(Invalid):
        kb.find(db_session, actor=None, query="x" * 201)


def test_quotes_and_operators_in_a_query_are_words_not_syntax(db_session, library):
    assert titles(db_session, '"boiler" OR NEAR(* -') == []
    assert titles(db_session, "boiler's") == []
    assert titles(db_session, "boiler:*") == ["Boiler pressure is low"]


def test_feedback_counts_once_per_visitor_and_can_change(db_session, library):
    article_id = library["aircon"]
    for _ in range(3):
        feedback.answer(db_session, actor=None, article_id=article_id, visitor="v1", helpful=True)
    feedback.answer(db_session, actor=None, article_id=article_id, visitor="v2", helpful=False)
    article = feedback.answer(db_session, actor=None, article_id=article_id, visitor="v2", helpful=True)
    assert (article.helpful_yes, article.helpful_no) == (2, 0)


def test_markdown_is_rendered_without_scripts_handlers_or_javascript_links():
    html = kbtext.render(
        "# Title\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) [good](https://example.com)\n\n"
        '<img src=x onerror="alert(1)">\n\n**bold**'
    )
    assert "<script" not in html
    assert "alert(1)</" not in html
    assert 'href="javascript' not in html
    assert "onerror" not in html
    assert '<a href="https://example.com"' in html
    assert "<strong>bold</strong>" in html


def test_raw_html_links_are_cleaned_too():
    html = kbtext.render(
        '<a href="javascript:alert(1)" onclick="x()">x</a> <iframe src="https://x"></iframe>'
    )
    assert "javascript:" not in html
    assert "onclick" not in html
    assert "iframe" not in html
    assert ">x</a>" in html


def test_the_front_page_shows_each_categorys_newest_articles_and_how_many_there_are(db_session):
    from dispatch.kb import categories

    heating = categories.create(db_session, actor=AGENT, name="Heating")
    cooling = categories.create(db_session, actor=AGENT, name="Cooling")
    made = [publish(db_session, f"Heating {n}", "Body.", category_id=heating.id) for n in range(5)]
    publish(db_session, "Cooling 0", "Body.", category_id=cooling.id)
    publish(db_session, "Cooling secret", "Body.", category_id=cooling.id, visibility=Visibility.INTERNAL)
    kb.create(db_session, actor=AGENT, draft=kb.Draft(title="Draft", body="B.", category_id=cooling.id))
    publish(db_session, "Loose", "Body.")
    db_session.commit()

    pages = kb.newest_by_category(db_session, actor=None, per_category=3)
    assert [v.article.id for v in pages[heating.id].items] == made[:1:-1]  # newest three of five
    assert pages[heating.id].total == 5
    assert [v.content.title for v in pages[cooling.id].items] == ["Cooling 0"]
    assert pages[cooling.id].total == 1  # the internal article and the draft are not counted
    assert [v.content.title for v in pages[None].items] == ["Loose"]
    staff = kb.newest_by_category(db_session, actor=AGENT, per_category=3)
    assert staff[cooling.id].total == 2

    second = kb.list_articles(db_session, actor=None, category_id=heating.id, page=2, page_size=3)
    assert [v.content.title for v in second.items] == ["Heating 1", "Heating 0"]
    assert second.total == 5


def test_stop_words_do_not_decide_what_is_found_or_how_it_ranks(db_session, library):
    reset = publish(db_session, "Boiler reset", "Hold reset for ten seconds.")
    publish(db_session, "Tenant guide", "The boiler is in the cupboard, the key is on the hook.")
    db_session.commit()
    found = titles(db_session, "the boiler")
    assert set(found) == {"Boiler reset", "Tenant guide", "Boiler pressure is low"}  # not only "the"s
    assert found[-1] == "Tenant guide"  # "the" five times in its body does not lift it above titles
    assert [f.view.article.id for f in kb.find(db_session, actor=None, query="how to reset the boiler")] == [
        reset
    ]
    # Chinese: the query is cut into words first, so 的 and 请问 go, and 漏水 is still a word.
    assert titles(db_session, "空调的漏水") == ["空调漏水怎么办"]
    assert titles(db_session, "请问空调漏水怎么办") == ["空调漏水怎么办"]


def test_a_query_of_nothing_but_stop_words_finds_nothing(db_session, library):
    assert titles(db_session, "the") == []
    assert titles(db_session, "is the") == []
    assert titles(db_session, "的") == []
    assert titles(db_session, "请问怎么办") == []


def test_one_character_is_not_a_prefix_of_every_word(db_session, library):
    assert titles(db_session, "b") == []  # not boiler, not the whole index
    assert titles(db_session, "bo") == ["Boiler pressure is low"]
    assert titles(db_session, "空") == []  # not 空调; the next character is
    assert titles(db_session, "漏水 空") == ["空调漏水怎么办"]  # the lone 空 waits for the next one
    assert titles(db_session, "daikin e") == []  # a word of its own, not e7 or error
    assert titles(db_session, "daikin er") == ["Daikin 空调 error E7"]


def test_a_page_of_results_has_as_many_articles_as_asked_however_many_sections_match(db_session):
    body = "## One\n\nDescaling.\n\n## Two\n\nDescaling.\n\n## Six\n\nDescaling."  # sections alike
    made = [publish(db_session, f"Limescale {n}", body) for n in range(25)]
    db_session.commit()
    found = kb.find(db_session, actor=None, query="descaling", limit=20)
    assert len(found) == 20
    assert len({f.view.article.id for f in found}) == 20  # one hit per article
    first = kb.find(db_session, actor=None, query="descaling", limit=3)
    assert [f.view.article.id for f in first] == [f.view.article.id for f in found[:3]]
    assert set(made) >= {f.view.article.id for f in found}


def test_when_more_sections_match_than_are_ranked_the_newest_are_and_a_title_still_wins(
    db_session, monkeypatch
):
    from dispatch.kb import search as kbsearch

    monkeypatch.setattr(kbsearch, "CANDIDATES", 4)
    for n in range(6):
        publish(db_session, f"Old note {n}", "Descaling is easy.")
    publish(db_session, "Descaling the boiler", "Use the kit.")
    publish(db_session, "Newest note", "Descaling again.")
    db_session.commit()
    found = titles(db_session, "descaling")
    assert found[0] == "Descaling the boiler"
    assert set(found) == {"Descaling the boiler", "Newest note", "Old note 5", "Old note 4"}
