"""Real texts for the embedder tests, read at run time from ../shared/eval and the sample feed
(never copied here), and a hypothesis strategy for text that stresses a sentencepiece tokeniser."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from hypothesis import strategies as st

from streams.core.dedupe.embed import embedding_text
from tests.conftest import SAMPLE_FEED, SHARED

EVAL = SHARED / "eval"


def _lines(path: Path) -> list[str]:
    if not path.exists():
        pytest.fail(f"{path} is missing (../shared must sit beside the repo)")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.cache
def pair_rows(name: str) -> tuple[dict[str, object], ...]:
    """The rows of ``../shared/eval/<name>`` (news_pairs.jsonl, news_pairs_large.jsonl)."""
    return tuple(json.loads(line) for line in _lines(EVAL / name))


@functools.cache
def real_texts() -> tuple[str, ...]:
    """Titles, texts and title + lead of every news pair, the langid texts, the sample feed's
    headlines and bodies (a line that is not a JSON object is a plain-text item)."""
    texts: list[str] = []
    for name in ("news_pairs.jsonl", "news_pairs_large.jsonl"):
        for row in pair_rows(name):
            for n in "12":
                title, text = str(row[f"title{n}"]), str(row[f"text{n}"])
                texts += [title, text, embedding_text(title, text)]
    texts += [json.loads(line)["text"] for line in _lines(EVAL / "langid.jsonl")]
    for line in _lines(SAMPLE_FEED):
        try:
            item = json.loads(line)
        except ValueError:
            texts.append(line)
            continue
        if isinstance(item, dict):
            texts += [v for k, v in item.items() if k in {"headline", "body", "text"} if v]
    return tuple(t for t in texts if isinstance(t, str))


def leads() -> list[str]:
    """What the worker embeds for each article of news_pairs.jsonl: title + lead."""
    rows = pair_rows("news_pairs.jsonl")
    return [embedding_text(str(r[f"title{n}"]), str(r[f"text{n}"])) for r in rows for n in "12"]


# Fragments a tokeniser can get wrong: words of several scripts, digits in other scripts (unknown
# to this model, so runs of unknown pieces), characters NFKC expands or folds, odd spaces, the
# escaped-space mark itself, controls, combining marks, emoji.
_FRAGMENTS = [
    "Reuters",
    "the",
    "Bundesregierung",
    "القاهرة",
    "الفوج",
    "١٣",
    "٢٠٢٠",
    "Москва",
    "東京都",
    "서울",
    "İstanbul",
    "ﬁnance",
    "ﷺ",
    "㍻",
    "Ｆｕｌｌ",
    "\u3000",
    "\u00a0",
    "\u200b",
    "\u2581",
    "▁▁",
    "\t",
    "\n",
    "  ",
    "e\u0301",
    "☃☃",
    "🙂",
    "\x00",
    "\x7f",
    "3.500",
    "https://t.co/x",
    "-",
    "«»",
]

wire_text = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6)), max_size=40).map("".join),
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12).map(" ".join),
)
