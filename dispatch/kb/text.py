"""Article text: Markdown rendered and sanitised, split into sections, and made searchable in Chinese.

Neither PostgreSQL's parser nor FTS5's unicode61 tokenizer splits Chinese: a run of Han characters is
one token. The indexed text therefore carries, beside the words, jieba's search-mode words and every
overlapping pair of Han characters; a query's Han runs become their bigrams, so 空调 or 漏水 finds
every article that contains it. A real word (jieba's cut) appears twice in the index, as a word and as
a bigram, which ranks 空调 above an accidental 空+调 across two words.

A query leaves out its stop words (``STOP_WORDS``: the, 的, 请 ...), which are in nearly every section
and so neither narrow nor rank anything; they stay in the index, so snippets and titles read as written.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

import nh3
from markdown_it import MarkdownIt

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_LOCK = threading.Lock()
MAX_QUERY_TERMS = 12

STOP_WORDS = frozenset(
    """
    a an the of to and or if is are was were be been being it its this that these those there here
    in at by for with from as into about than then so such your you yours my me our we us they them
    their he she his her i can could will would should may might must do does did shall how what
    which who whom whose when where why please also just very
    的 地 得 了 着 过 是 在 和 与 及 或 并 而 把 被 就 也 都 还 又 再 先 才 啊 吧 呢 吗 嘛 呀 哦 哈
    请 您 你 我 他 她 它 我们 你们 他们 她们 它们 咱们 这 那 这个 那个 这些 那些 这里 那里 一下 一个
    请问 如果 可以 需要 怎么 怎么办 怎样 如何 为什么 什么 哪里 哪个
    """.split()
)
"""Words a query leaves out: so common that they match nearly every section and rank nothing.

A short list kept here on purpose rather than a general one: general lists also drop 不, 没有, not,
off, on, down, which carry the fault in a search such as 不制冷, "won't turn off" or "heating not on".
A Chinese query is cut into words by jieba before these are taken out, so 的 goes but 目的 stays.
"""

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


@cache
def _segmenter() -> Any:
    """jieba's tokenizer, loaded once on first use from the dictionary inside the wheel (no download)."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba 0.42 imports pkg_resources and has old escapes
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return tokenizer


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def words(text: str) -> str:
    """The text with every Han run cut into words by spaces (readable; snippets come from it)."""
    if not HAN.search(text):
        return text
    tokenizer = _segmenter()

    def cut(match: re.Match[str]) -> str:
        return " " + " ".join(tokenizer.cut(match.group(0), HMM=False)) + " "

    return HAN.sub(cut, text)


def grams(text: str) -> str:
    """The extra index terms of the text's Han runs: search-mode words and overlapping bigrams."""
    runs = HAN.findall(text)
    if not runs:
        return ""
    tokenizer = _segmenter()
    terms: list[str] = []
    for run in runs:
        terms.extend(w for w in tokenizer.cut_for_search(run, HMM=False) if len(w) > 1)
        terms.extend(_bigrams(run))
    return " ".join(terms)


def _content_runs(run: str) -> list[str]:
    """A query's Han run without its stop words: the stretches of jieba's words between them."""
    runs, current = [], ""
    for word in _segmenter().cut(run, HMM=False):
        if word in STOP_WORDS:
            runs.append(current)
            current = ""
        else:
            current += word
    runs.append(current)
    return [r for r in runs if r]


def query_terms(query: str) -> list[tuple[str, bool]]:
    """A visitor's words as index terms, each with whether it may match as a prefix (the last word).

    Stop words are left out (a query of nothing else has no terms, so finds nothing); a Han run
    becomes the bigrams of the stretches between its stop words. A prefix is at least two
    characters: one letter or one Han character would match a good part of the whole index, so a
    last letter is a word of its own, and a lone Han character (the index holds pairs) waits for
    the next key stroke when the query has other words, and is looked up as it is when it has none.
    """
    text = unicodedata.normalize("NFKC", query).lower()
    terms: list[tuple[str, bool]] = []
    waiting: set[tuple[str, bool]] = set()
    tokens = WORD.findall(text)
    still_typing = text == text.rstrip()
    for index, token in enumerate(tokens):
        last = still_typing and index == len(tokens) - 1
        for part in re.split(f"({HAN.pattern})", token):
            if not part:
                continue
            if HAN.fullmatch(part):
                for run in _content_runs(part):
                    terms.extend((piece, False) for piece in _bigrams(run))
                    if len(run) == 1:
                        waiting.add((run, False))
                continue
            for piece in part.split("_"):
                if piece and piece not in STOP_WORDS:
                    terms.append((piece, last and len(piece) > 1))
    unique = list(dict.fromkeys(terms))
    return ([term for term in unique if term not in waiting] or unique)[:MAX_QUERY_TERMS]


def tidy_snippet(snippet: str) -> str:
    """Take out the spaces the word split put between Chinese characters."""
    han = r"[\u3400-\u9fff\uf900-\ufaff\u3001\u3002\uff01\uff0c\uff1a\uff1b\uff1f]"
    marks = r"[\x02\x03]*"
    return re.sub(f"(?<={han}){marks}\\s+{marks}(?={han})", lambda m: m.group(0).replace(" ", ""), snippet)


_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
"""Raw HTML in an article is allowed through to nh3, which keeps only the tags and links listed above."""


def render(body: str) -> str:
    """Markdown to HTML that is safe to show: no script, no event handlers, no javascript: links."""
    html = _markdown.render(body)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def plain(markdown: str) -> str:
    """The words of some Markdown without its markup (what the index and snippets read)."""
    html = _markdown.render(markdown)
    text = nh3.clean(html, tags=set())
    return re.sub(r"\s+", " ", unescape(text)).strip()


def unescape(text: str) -> str:
    """HTML entities back to characters."""
    import html

    return html.unescape(text)


@dataclass(frozen=True)
class Section:
    """The part of an article under one heading."""

    anchor: str
    heading: str
    text: str


def slug(text: str, taken: set[str]) -> str:
    """A URL fragment for a heading, unique within the article."""
    base = re.sub(r"[^\w\u3400-\u9fff]+", "-", text.lower()).strip("-")[:80] or "section"
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def sections(body: str) -> list[Section]:
    """Split Markdown at its level 1-3 headings (outside code blocks); text before the first is the intro."""
    parts: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            parts.append((match.group(2), []))
        else:
            parts[-1][1].append(line)
    taken: set[str] = set()
    found = []
    for heading, lines in parts:
        text = plain("\n".join(lines))
        if not heading and not text:
            continue
        found.append(
            Section(anchor=slug(heading, taken) if heading else "", heading=plain(heading), text=text)
        )
    return found or [Section(anchor="", heading="", text="")]


def heading_ids(html: str, body: str) -> str:
    """Give the rendered h1-h3 headings the anchors the search points to."""
    anchors = iter(s.anchor for s in sections(body) if s.anchor)

    def tag(match: re.Match[str]) -> str:
        return f'<{match.group(1)} id="{next(anchors, "")}">'

    return re.sub(r"<(h[1-3])>", tag, html)
