"""Knowledge base search benchmark: 20,000 generated articles, half English and half Chinese (many mixed).

``python -m dispatch.kb.bench`` (a scratch SQLite file) and
``python -m dispatch.kb.bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test``
(a scratch schema, dropped afterwards); ``make bench-kb`` runs both. ``--keep NAME`` keeps the corpus
(a SQLite file, or a PostgreSQL schema of that name) and reuses it on the next run with the same
``--articles``, so that changes to the search can be timed without writing 20,000 articles again.

1. writes ``--articles`` published articles (a few in each of 60 categories, 10 % internal) of three
   sections each, words drawn with a Zipf-like skew from a field-service vocabulary in English and
   Chinese, the sections segmented exactly as publishing does (jieba words + Han bigrams); then
   ``ANALYZE`` / FTS5 ``optimize``;
2. times ``--repeat`` searches of each kind as the help centre's suggest endpoint runs them
   (``kb.find`` for a visitor: ranked, one hit per article, 10 results, snippets, the articles read):
   a rare English word, two English words, a prefix while typing, a Chinese two-character word, a
   Chinese phrase, English + Chinese mixed, common words among stop words, and nothing but stop
   words (the, 的: found nowhere, see ``kbtext.STOP_WORDS``); prints p50 / p95 per kind and overall.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from dispatch import migrate
from dispatch.db import make_engine, make_session_factory, schema_url, scratch_schema
from dispatch.kb import service as kb
from dispatch.kb import text as kbtext
from dispatch.kb.models import Article, ArticleSection, ArticleVersion, KbCategory, Visibility

ENGLISH = (
    "boiler pressure leak water heater thermostat radiator valve pump filter drain pipe tap shower "
    "fan motor compressor refrigerant coil condenser evaporator remote battery display error code "
    "reset button filling loop gauge bar flame ignition pilot gas smell carbon monoxide alarm fuse "
    "breaker socket wiring noise vibration rattling dripping frozen condensate trap airlock bleed "
    "warranty invoice appointment engineer visit booking reschedule cancel refund deposit parts "
    "install service annual inspection certificate safety landlord tenant meter smart app wifi "
    "timer schedule heating cooling humidity mould ventilation extractor duct outdoor indoor unit "
    "inverter capacity kilowatt tariff energy efficiency label model serial number manual"
).split()
CHINESE = (
    "空调 漏水 制冷 制热 热水器 锅炉 水压 暖气 地暖 温控器 遥控器 电池 显示屏 故障码 重启 按钮 "
    "排水管 过滤网 清洗 风扇 电机 压缩机 冷媒 室内机 室外机 噪音 异响 结冰 结霜 漏电 跳闸 插座 "
    "燃气 异味 报警器 安装 维修 保养 上门 预约 改约 取消 退款 保修 发票 配件 师傅 费用 时间 "
    "滤芯 净水器 洗衣机 冰箱 不制冷 不出热水 水温 水流 阀门 管道 漏气 点火 熄火 指示灯 闪烁"
).split()
FILLER_EN = "the a of to and if is it your this when check then after before with from you can".split()
FILLER_ZH = "的 了 是 在 请 先 再 如果 可以 需要 我们 您 一下".split()
QUERIES = {
    "rare English word": ["manual", "serial", "tariff", "inverter", "landlord", "extractor"],
    "two English words": ["boiler pressure", "water leak", "fan noise", "error code", "reset button"],
    "prefix while typing": ["therm", "radiat", "compress", "condens", "ventil"],
    "Chinese word": ["空调", "漏水", "热水器", "排水管", "师傅", "滤芯"],
    "Chinese phrase": ["空调漏水", "热水器不出热水", "室外机噪音", "遥控器电池"],
    "English + Chinese": ["boiler 水压", "空调 error", "filter 清洗", "fan 异响"],
    "common words and stop words": [
        "the boiler",
        "how to reset the boiler",
        "空调的漏水",
        "请问空调漏水怎么办",
    ],
    "only stop words": ["the", "的", "how to"],
}


SECTION_COLUMNS = (
    "article_id", "position", "anchor", "heading", "visibility",
    "title_words", "title_grams", "body_words", "body_grams",
)  # fmt: skip


@contextmanager
def _database(url: str | None, keep: str | None) -> Iterator[str]:
    if url and url.startswith("postgresql") and keep:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{keep}"'))
        admin.dispose()
        yield schema_url(url, keep)
        return
    if keep:
        yield f"sqlite:///{Path(keep).resolve()}"
        return
    if url and url.startswith("postgresql"):
        with scratch_schema(url, "kbbench") as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def _pick(rng: random.Random, words: list[str]) -> str:
    """A word with a Zipf-like skew: the first words of the list are the common ones."""
    return words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]


def _sentence(rng: random.Random, chinese: bool) -> str:
    if chinese:
        parts = [_pick(rng, CHINESE) if rng.random() < 0.6 else rng.choice(FILLER_ZH) for _ in range(12)]
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts)), f" {_pick(rng, ENGLISH)} ")
        return "".join(parts) + "。"
    words = [_pick(rng, ENGLISH) if rng.random() < 0.5 else rng.choice(FILLER_EN) for _ in range(14)]
    return " ".join(words).capitalize() + "."


def article_text(rng: random.Random, chinese: bool) -> tuple[str, str]:
    """A title and a Markdown body of three sections."""
    title = (
        "".join(_pick(rng, CHINESE) for _ in range(3))
        if chinese
        else " ".join(_pick(rng, ENGLISH) for _ in range(4)).capitalize()
    )
    body = []
    for n in range(3):
        if n:
            heading = _pick(rng, CHINESE) + _pick(rng, CHINESE) if chinese else f"{_pick(rng, ENGLISH)} steps"
            body.append(f"## {heading}")
        body.append(" ".join(_sentence(rng, chinese) for _ in range(rng.randint(2, 4))))
    return title, "\n\n".join(body)


def build(session: Session, *, articles: int, seed: int) -> int:
    """Write the corpus; returns the number of sections."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    categories = [KbCategory(name=f"Category {i}") for i in range(60)]
    session.add_all(categories)
    session.flush()
    sections = 0
    chunk = 1000
    for start in range(0, articles, chunk):
        rows: list[dict[str, object]] = []
        numbers = range(start, min(start + chunk, articles))
        for i in numbers:
            rows.append(
                {
                    "id": i + 1,
                    "category_id": categories[i % 60].id,
                    "visibility": Visibility.INTERNAL if i % 10 == 9 else Visibility.PUBLIC,
                    "latest_number": 1,
                    "published_number": 1,
                    "published_at": now,
                    "helpful_yes": 0,
                    "helpful_no": 0,
                }
            )
        session.execute(insert(Article), rows)
        versions: list[dict[str, object]] = []
        parts: list[dict[str, object]] = []
        for i in numbers:
            title, body = article_text(rng, chinese=i % 2 == 1)
            version = ArticleVersion(article_id=i + 1, number=1, title=title, body=body, tags=[])
            versions.append({"article_id": i + 1, "number": 1, "title": title, "body": body, "tags": []})
            article = Article(id=i + 1, visibility=Visibility.INTERNAL if i % 10 == 9 else Visibility.PUBLIC)
            parts.extend(
                {c: getattr(section, c) for c in SECTION_COLUMNS}
                for section in kb.section_rows(article, version)
            )
        session.execute(insert(ArticleVersion), versions)
        session.execute(insert(ArticleSection), parts)
        sections += len(parts)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
    else:
        session.execute(text("INSERT INTO kb_search(kb_search) VALUES ('optimize')"))
        session.execute(text("ANALYZE"))
    session.commit()
    return sections


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


@click.command()
@click.option(
    "--database-url", default=None, help="PostgreSQL base URL (a scratch schema is made); default SQLite"
)
@click.option("--articles", default=20_000, show_default=True)
@click.option("--repeat", default=100, show_default=True, help="searches of each kind")
@click.option("--seed", default=11, show_default=True)
@click.option(
    "--keep",
    default=None,
    metavar="NAME",
    help="keep the corpus in this SQLite file or PostgreSQL schema, and reuse it if it is already there",
)
def main(database_url: str | None, articles: int, repeat: int, seed: int, keep: str | None) -> None:
    """Time knowledge base searches over generated English and Chinese articles."""
    with _database(database_url, keep) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        session = make_session_factory(engine)()
        name = engine.dialect.name
        there = session.scalar(select(func.count()).select_from(Article))
        if keep and there == articles:
            sections = session.scalar(select(func.count()).select_from(ArticleSection)) or 0
            print(f"{name}: {articles:,} articles, {sections:,} sections, reused from {keep}")
        else:
            if there:
                raise click.UsageError(f"{keep} holds {there:,} articles, not {articles:,}: remove it first")
            started = time.perf_counter()
            sections = build(session, articles=articles, seed=seed)
            built = time.perf_counter() - started
            print(
                f"{name}: {articles:,} articles, {sections:,} sections, written and indexed in {built:.0f} s"
            )
        kbtext.query_terms("预热")  # jieba is loaded once, on first use; not part of a search's time
        rng = random.Random(seed)
        everything: list[float] = []
        print(f"| {name} search | found (mean) | p50 ms | p95 ms |")
        print("| --- | ---: | ---: | ---: |")
        for kind, queries in QUERIES.items():
            samples, found = [], 0
            for _ in range(repeat):
                query = rng.choice(queries)
                t0 = time.perf_counter()
                hits = kb.find(session, actor=None, query=query, limit=10)
                samples.append(time.perf_counter() - t0)
                found += len(hits)
                session.rollback()
            everything.extend(samples)
            p50, p95 = _ms(samples)
            print(f"| {kind} | {found / repeat:.1f} | {p50:.1f} | {p95:.1f} |")
        p50, p95 = _ms(everything)
        print(f"| all searches | | {p50:.1f} | {p95:.1f} |")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
