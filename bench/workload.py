"""A deterministic, seeded wire workload built at run time from real shared text.

Texts are READ from ``../shared/eval/news_pairs.jsonl`` (real article titles and openings in
several languages, with same-story German-English pairs) and ``../shared/seeds/*.txt`` (a real
press release); nothing of them is copied into this repository. They are expanded into a realistic
wire mix by recombining and editing real sentences *of the same language*:

- ``new`` (~70 %): a real headline over a real lead paragraph plus sentences from other articles
  of the same language; some as HTML, some Arabic ones as plain-text press releases with the seed's
  publisher tag and trailer;
- ``edit`` (~15 %): a correction of an earlier item: same source and id, a sentence added, dropped,
  replaced or a figure changed (the worker calls it ``near_duplicate`` and publishes it);
- ``resend`` (~10 %): an earlier item again, byte for byte (a counted ``duplicate``, not published);
- ``translation`` (~5 %): one side of a real same-story pair (SemEval ``overall <= 1.5``), mostly
  German/English, trimmed differently per outlet as wire copies are;
- ``malformed`` (0.5 %): truncated JSON, or bytes that are not UTF-8 (corrupted in transit, or
  a Latin-1 encoder upstream).

The same seed and size give the same bytes, so runs and machines compare like with like.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from bench.e2e_corpus import Article, Corpus, load_corpus

MIX = {"new": 0.70, "edit": 0.15, "resend": 0.10, "translation": 0.05}
MALFORMED_SHARE = 0.005
# What the worker is expected to do with each kind (README.md, "dedupe.status").
OUTCOME = {
    "new": "enriched",
    "edit": "enriched",
    "translation": "enriched",
    "resend": "duplicate",
    "malformed": "deadletter",
}
# Re-sends and corrections follow their original within this many items (wire re-sends are
# minutes apart, not days), which also keeps them in the same drain or latency window.
RECENT = 2000
# Fictitious outlets: the texts are real, the envelope is ours.
SOURCES = (
    "Harbour Wire",
    "Meridian Newswire",
    "Northgate Press",
    "Corso Agenzia",
    "Baltic Desk",
    "Levant Bulletin",
    "Pampas Cable",
    "Alpine Ticker",
)
SECTORS = ("Politics", "Business", "Health", "Technology", "Sports", "World", "Markets")
UPDATE_PREFIXES = ("UPDATE 1-", "UPDATE 2-", "CORRECTED-", "REFILE-")
_DIGIT = re.compile(r"\d")
BASE_TIME = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class WorkItem:
    key: bytes | None
    value: bytes
    kind: str  # new | edit | resend | translation | malformed
    lang: str

    @property
    def expected(self) -> str:
        return OUTCOME[self.kind]


@dataclass(slots=True)
class _Story:
    """What an item was built from, so that it can be corrected or re-sent later."""

    item: WorkItem
    item_id: str | None
    source: str
    headline: str
    paragraphs: list[list[str]]
    html: bool
    plain: bool
    fields: dict[str, object] = field(default_factory=dict)


class WorkloadBuilder:
    def __init__(self, corpus: Corpus, seed: int) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.seen: set[str] = set()
        self.stories: list[_Story] = []  # published-kind items, oldest first
        self.pending_pairs: list[tuple[Article, str]] = []
        self.serial = 0
        langs = sorted(corpus.articles)
        # Weighted by how much real text a language has, so small pools are not over-recombined.
        self.langs = langs
        self.lang_weights = [len(corpus.sentences[lang]) for lang in langs]

    # --- helpers ---------------------------------------------------------------------------------

    def _fingerprint(self, headline: str, paragraphs: list[list[str]]) -> str:
        text = headline + "\n" + "\n".join(" ".join(p) for p in paragraphs)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def _claim(self, headline: str, paragraphs: list[list[str]]) -> bool:
        """Record a content fingerprint; False when that content was already used."""
        fp = self._fingerprint(headline, paragraphs)
        if fp in self.seen:
            return False
        self.seen.add(fp)
        return True

    def _envelope(
        self, index: int, lang: str, rng: random.Random | None = None
    ) -> dict[str, object]:
        rng = rng or self.rng
        moment = BASE_TIME + timedelta(seconds=index * 0.7 + rng.random())
        hours = rng.choice((0, 0, 1, 2, 3, -5))  # agencies stamp local time with an offset
        if hours:
            local = (moment + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")
            stamp = f"{local}{hours:+03d}:00"
        else:
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        fields: dict[str, object] = {"published_at": stamp}
        if rng.random() < 0.5:
            fields["language"] = lang
        if rng.random() < 0.3:
            fields["sectors"] = rng.sample(SECTORS, rng.randint(1, 2))
        return fields

    def _render(self, story: _Story, kind: str, lang: str) -> WorkItem:
        if story.plain:
            body = "\n".join(" ".join(p) for p in story.paragraphs)
            text = f"{self.corpus.press_tag}{body}\n" + "\n".join(self.corpus.press_trailer)
            key = hashlib.blake2b(text.encode(), digest_size=8).hexdigest().encode()
            return WorkItem(key, text.encode(), kind, lang)
        if story.html:
            body = "".join(f"<p>{' '.join(p)}</p>" for p in story.paragraphs)
        else:
            body = "\n\n".join(" ".join(p) for p in story.paragraphs)
        obj: dict[str, object] = {
            "id": story.item_id,
            "source": story.source,
            "headline": story.headline,
            "body": body,
            "url": f"https://wire.invalid/{lang}/{story.item_id}",
            **story.fields,
        }
        return WorkItem(str(story.item_id).encode(), orjson.dumps(obj), kind, lang)

    # --- kinds -----------------------------------------------------------------------------------

    def new_story(self, index: int) -> WorkItem:
        rng = self.rng
        for _ in range(50):
            lang = rng.choices(self.langs, self.lang_weights)[0]
            base = rng.choice(self.corpus.articles[lang])
            pool = self.corpus.sentences[lang]
            lead = list(base.paragraphs[0][: rng.randint(1, 2)])
            extra = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
            sentences = lead + [s for s in extra if s not in lead]
            cut = sorted(rng.sample(range(1, len(sentences)), min(2, len(sentences) - 1)))
            bounds = zip([0, *cut], [*cut, len(sentences)], strict=True)
            paragraphs = [sentences[a:b] for a, b in bounds if sentences[a:b]]
            headline = base.title  # the lead's own headline keeps the item coherent
            if self._claim(headline, paragraphs):
                break
        plain = lang == "ar" and self.corpus.press_tag is not None and rng.random() < 0.3
        # A plain-text release carries no headline, so its body alone must be new; if it is not,
        # the story goes out as JSON (headline included) with an envelope from its own generator,
        # which leaves every later item as it was.
        envelope_rng = None
        if plain and not self._claim("", paragraphs):
            plain, envelope_rng = False, random.Random(index)
        self.serial += 1
        source = rng.choice(SOURCES)
        story = _Story(
            item=WorkItem(None, b"", "new", lang),
            item_id=None if plain else f"{source.split(maxsplit=1)[0].lower()}-{self.serial:07d}",
            source=source,
            headline=headline,
            paragraphs=paragraphs,
            html=rng.random() < 0.15,
            plain=plain,
            fields={} if plain else self._envelope(index, lang, envelope_rng),
        )
        story.item = self._render(story, "new", lang)
        self.stories.append(story)
        return story.item

    def edit(self, index: int) -> WorkItem | None:
        candidates = [s for s in self.stories[-RECENT:] if s.item_id is not None]
        if not candidates:
            return None
        rng = self.rng
        original = rng.choice(candidates)
        lang = original.item.lang
        pool = self.corpus.sentences[lang]
        for _ in range(20):
            paragraphs = [list(p) for p in original.paragraphs]
            headline = original.headline
            op = rng.choice(("append", "drop", "replace", "figure"))
            last = paragraphs[-1]
            if op == "drop" and sum(map(len, paragraphs)) > 2:
                last.pop() if len(last) > 1 else paragraphs.pop()
            elif op == "replace":
                para = rng.choice(paragraphs)
                para[rng.randrange(len(para))] = rng.choice(pool)
            elif op == "figure" and any(_DIGIT.search(s) for p in paragraphs for s in p):
                p, i = next((p, i) for p in paragraphs for i, s in enumerate(p) if _DIGIT.search(s))
                p[i] = _DIGIT.sub(lambda m: str((int(m.group()) + 1) % 10), p[i], count=1)
            else:
                paragraphs.append([rng.choice(pool)])
            if rng.random() < 0.3:
                headline = rng.choice(UPDATE_PREFIXES) + headline
            if self._claim(headline, paragraphs):
                break
        else:
            return None
        fields = dict(original.fields)
        fields.update(self._envelope(index, lang))
        story = _Story(
            item=original.item,
            item_id=original.item_id,
            source=original.source,
            headline=headline,
            paragraphs=paragraphs,
            html=original.html,
            plain=False,
            fields=fields,
        )
        story.item = self._render(story, "edit", lang)
        self.stories.append(story)
        return story.item

    def resend(self) -> WorkItem | None:
        if not self.stories:
            return None
        original = self.rng.choice(self.stories[-RECENT:]).item
        return WorkItem(original.key, original.value, "resend", original.lang)

    def translation(self, index: int) -> WorkItem | None:
        """One side of a same-story pair; its other side follows a few translations later."""
        rng = self.rng
        for attempt in range(5):
            if self.pending_pairs and attempt == 0:
                article, source = self.pending_pairs.pop(0)
            elif self.corpus.same_story:
                first, second = rng.choice(self.corpus.same_story)
                if rng.random() < 0.5:
                    first, second = second, first
                article, source = first, rng.choice(SOURCES)
                self.pending_pairs.append((second, rng.choice(SOURCES)))
            else:
                return None
            made = self._variant(article, source, index)
            if made is not None:
                return made
        return None

    def _variant(self, article: Article, source: str, index: int) -> WorkItem | None:
        rng = self.rng
        sentences = [s for p in article.paragraphs for s in p]
        for _ in range(30):
            # Outlets trim agency copy differently (keep the lead, drop some later sentences)
            # and may sign the headline.
            kept = [sentences[0]] + [s for s in sentences[1:] if rng.random() < 0.75]
            paragraphs = [kept[i : i + 3] for i in range(0, len(kept), 3)]
            headline = article.title if rng.random() < 0.5 else f"{article.title} | {source}"
            if self._claim(headline, paragraphs):
                break
        else:
            return None
        self.serial += 1
        story = _Story(
            item=WorkItem(None, b"", "translation", article.lang),
            item_id=f"{source.split(maxsplit=1)[0].lower()}-{self.serial:07d}",
            source=source,
            headline=headline,
            paragraphs=paragraphs,
            html=False,
            plain=False,
            fields=self._envelope(index, article.lang),
        )
        story.item = self._render(story, "translation", article.lang)
        self.stories.append(story)
        return story.item

    def malformed(self, index: int) -> WorkItem:
        rng = self.rng
        template = self.new_story(index)
        self.stories.pop()  # the well-formed template itself is never sent
        value = template.value
        if rng.random() < 0.5:
            cut = rng.randrange(max(2, len(value) // 4), len(value) - 1)
            bad = value[:cut]  # a truncated JSON object: invalid_json
        else:
            bad = _latin1(value) or _corrupt(value, rng.randrange(1, len(value)))
        return WorkItem(f"bad-{index}".encode(), bad, "malformed", template.lang)


def _latin1(value: bytes) -> bytes | None:
    """The item as an upstream Latin-1 encoder sends it, if that is not valid UTF-8 too."""
    try:
        encoded = value.decode().encode("latin-1")
        encoded.decode("utf-8")
    except UnicodeEncodeError:
        return None  # characters outside Latin-1 (Polish, Arabic, ...): no such encoder
    except UnicodeDecodeError:
        return encoded
    return None  # plain ASCII stays valid UTF-8


def _corrupt(value: bytes, at: int) -> bytes:
    return value[:at] + b"\xff\xfe" + value[at:]  # bytes that no UTF-8 text contains


def plan(n: int, rng: random.Random) -> list[str]:
    """Exactly the configured share of each kind, in a seeded random order."""
    malformed = round(n * MALFORMED_SHARE)
    rest = n - malformed
    counts = {kind: round(rest * share) for kind, share in MIX.items()}
    counts["new"] += rest - sum(counts.values())
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    kinds += ["malformed"] * malformed
    rng.shuffle(kinds)
    return kinds


def build_workload(
    n: int, seed: int = 20260105, corpus: Corpus | None = None, *, extra: int = 0
) -> list[WorkItem]:
    """``n`` items of the wire mix, then ``extra`` more from the same stream (new content that
    may correct or re-send the first ``n``). The first ``n`` are the same whatever ``extra`` is:
    the same ``n`` and ``seed`` always give the same bytes."""
    builder = WorkloadBuilder(corpus or load_corpus(), seed)
    items: list[WorkItem] = []
    for count, plan_seed in ((n, seed ^ 0x5EED), (extra, seed ^ 0xF4E5)):
        for kind in plan(count, random.Random(plan_seed)):
            index = len(items)
            item: WorkItem | None = None
            if kind == "edit":
                item = builder.edit(index)
            elif kind == "resend":
                item = builder.resend()
            elif kind == "translation":
                item = builder.translation(index)
            elif kind == "malformed":
                item = builder.malformed(index)
            # With no earlier item to correct or re-send (the first few), a new story stands in.
            items.append(item or builder.new_story(index))
    return items


def expected_outcomes(items: list[WorkItem]) -> dict[str, int]:
    counts = Counter(item.expected for item in items)
    return {outcome: counts.get(outcome, 0) for outcome in ("enriched", "duplicate", "deadletter")}


def describe(items: list[WorkItem]) -> dict[str, object]:
    sizes = sorted(len(i.value) for i in items)
    return {
        "items": len(items),
        "kinds": dict(sorted(Counter(i.kind for i in items).items())),
        "languages": dict(sorted(Counter(i.lang for i in items).items())),
        "expected": expected_outcomes(items),
        "bytes": {
            "total": sum(sizes),
            "median": sizes[len(sizes) // 2] if sizes else 0,
            "p99": sizes[int(len(sizes) * 0.99)] if sizes else 0,
            "max": sizes[-1] if sizes else 0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20260105)
    parser.add_argument("--show", type=int, default=0, help="print this many items too")
    args = parser.parse_args()
    items = build_workload(args.items, args.seed)
    print(orjson.dumps(describe(items), option=orjson.OPT_INDENT_2).decode())
    for item in items[: args.show]:
        print(item.kind, item.lang, item.value[:300].decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
