"""Names the KB does not know: capitalised sequences and title cues, reported with id null.

A built-in span proposer, consulted after the KB (and after any statistical model, see
streams.core.entities.extractor.SpanProposer): its spans are kept only where nothing else found a
name.

- Latin, Cyrillic and Greek text: a run of capitalised words (with "of", "for", "de", ... inside)
  is a name, unless it is one everyday word opening a sentence ("Reading the report").
- A title before a name makes it a PERSON: "President", "Minister", "Mr", "министр", "الرئيس".
- A keyword inside makes it an ORG ("Institute", "Council", "Fund") or a LOC ("River", "Oblast").
- Otherwise two or more words are a PERSON and a lone word is MISC (found, type unknown).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import daachorse

from streams.core.text import sentence_initial

Span = tuple[int, int, str]


def _uppercase_class() -> str:
    ranges = [(0x41, 0x5A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x52F), (0x1E00, 0x1FFF)]
    chars = [
        chr(o)
        for lo, hi in ranges
        for o in range(lo, hi + 1)
        if unicodedata.category(chr(o)) == "Lu"
    ]
    return "".join(re.escape(c) for c in chars)


_UP = _uppercase_class()
# "and" is no connector: "Putin and Trump" are two names.
_CONNECTORS = "of|for|the|de|du|des|la|le|del|van|von|der|den|da|do|dos|das|di|bin|ibn|al|el"
_WORD = rf"[{_UP}][\w'’\-]*\w|[{_UP}]"
# No look-behind: a pattern that opens with a character class lets the regex engine skip ahead
# fast. The left boundary is checked on each match instead.
CAPS_RE = re.compile(rf"(?:{_WORD})(?:[ ](?:(?:{_CONNECTORS})[ ])*(?:{_WORD}))*")
_JOINERS = frozenset("'’-")
_ACRONYM_MAX = 6

_TITLES = """
    president prime minister mr mrs ms dr sen senator gen general secretary chancellor king queen
    prince princess pope sheikh emir spokesman spokeswoman spokesperson envoy ambassador adviser
    advisor aide ceo chief director governor mayor judge rep representative colonel lt premier
    commander lawmaker mp deputy foreign defence defense interior finance
    président ministre porte-parole präsident kanzler kanzlerin bundeskanzler presidente ministro
    canciller portavoz presiden menteri cumhurbaşkanı bakan bakanı başbakan
    президент министр премьер глава посол пресс-секретарь советник помощник спецпосланник генсек
    лидер канцлер міністр прем'єр голова речник радник посланник господин пан
"""
TITLES = frozenset(_TITLES.split())
_ORG_WORDS = """
    institute council ministry bank fund agency committee forces force party group university
    corporation corp inc ltd llc plc company co association union organisation organization
    commission army navy command news times post press service office department court parliament
    assembly federation authority board society foundation center centre club league airlines
    airways motors holdings bureau police guard reserve exchange media television radio network
    systems technologies energy oil petroleum telecom railways trust alliance coalition movement
    front brigade battalion regiment division corps school college hospital church team fc
    ministère conseil banque agence université parti armée comité fondation institut
    ministerium rat partei stiftung universität agentur gruppe ag gmbh ministerio banco consejo
    partido universidad fundación instituto agencia ejército grupo ministério conselho
    universidade fundação agência exército министерство совет банк фонд агентство комитет партия
    служба компания университет міністерство рада фонд
"""
ORG_WORDS = frozenset(_ORG_WORDS.split())
_LOC_WORDS = """
    river mountains mount lake sea ocean island islands bay gulf strait valley desert peninsula
    region province oblast county district street square airport canal
"""
LOC_WORDS = frozenset(_LOC_WORDS.split())
_CUE_WORDS = TITLES | ORG_WORDS | LOC_WORDS

# Arabic titles (found inside words, so with their proclitics and article: والمبعوث, الرئيس).
_AR_TITLES = """
    رئيس رئيسة وزير وزيرة مبعوث متحدث متحدثة ناطق سفير سفيرة أمين ملك أمير شيخ سيد سيدة جنرال
    مستشار مستشارة نائب زعيم قائد مساعد صهر سكرتير مدير مديرة
"""
# A tiny automaton finds them in one pass; a regex alternation would try every title at every
# position of the text.
AR_TITLES = daachorse.CharwiseDoubleArrayAhoCorasick(
    _AR_TITLES.split(), match_kind=daachorse.MATCH_KIND_LEFTMOST_LONGEST
)
_AR_PREFIXES = frozenset({"", "و", "ف", "ب", "ل", "ال", "وال", "فال", "بال", "لل", "ولل"})
_AR_STOP_WORDS = """
    في من على إلى الى عن مع أن إن ان الذي التي باسم بعد قبل خلال حول قال قالت أعلن اعلن أكد اكد
    يريد كان كانت هو هي لا لم لن قد إلا الا أو او ثم حيث كما وقال وأضاف يوم منذ
"""
_AR_STOP = frozenset(_AR_STOP_WORDS.split())
_AR_LETTERS = re.compile("[\u0621-\u063a\u0641-\u064a]{2,}")
_AR_PUNCT = '،,:;.!?؟"“”«»()[]'
_TOKEN_RE = re.compile(r"\S+")
# What fold_key does to an Arabic word, cheaply: the letter variants (a word has no separators).
_AR_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ئ": "ي", "ؤ": "و", "ی": "ي", "ک": "ك"}
)
_AR_WINDOW = 160


class RuleProposer:
    """Unlinked-name spans from orthography and cue words (see the module docstring)."""

    def __init__(self, common_words: frozenset[str]) -> None:
        self._common = common_words

    def propose(
        self, text: str, language: str | None, taken: bytearray | None = None
    ) -> Sequence[Span]:
        """Spans in ``text``; ``taken`` marks characters already inside a name (skipped)."""
        spans: list[Span] = []
        if "\u0627" in text or "\u0644" in text:  # alef or lam: there is Arabic text to read
            spans.extend(self._arabic(text, taken))
        # German capitalises every noun: there only a title or an organisation word marks a name.
        spans.extend(self._capitalised(text, (language or "").startswith("de"), taken))
        return spans

    def _arabic(self, text: str, taken: bytearray | None) -> list[Span]:
        out: list[Span] = []
        for start, end, _ in AR_TITLES.find(text):
            w = start
            while w > 0 and text[w - 1].isalpha():
                w -= 1
            if text[w:start] not in _AR_PREFIXES or (end < len(text) and text[end].isalpha()):
                continue  # not the title itself: مجلس الرئاسة, رئيسي
            span = self._arabic_name(text, end, taken)
            if span is not None:
                out.append(span)
        return out

    def _arabic_name(self, text: str, at: int, taken: bytearray | None) -> Span | None:
        """The name after an Arabic title: skip its ال- qualifiers, take up to three words."""
        words: list[tuple[int, int]] = []
        qualifiers = 0
        for tok in _TOKEN_RE.finditer(text, at, min(len(text), at + _AR_WINDOW)):
            word = tok.group().rstrip(_AR_PUNCT)
            closed = len(word) < len(tok.group())  # punctuation ends the name
            if not words and word.startswith("ال") and qualifiers < 3 and not closed:
                qualifiers += 1  # الرئيس الروسي / وزير الخارجية
                continue
            if not words and taken is not None and taken[tok.start()]:
                return None  # the KB knows this name already
            if (
                not _AR_LETTERS.fullmatch(word)
                or word.startswith("ال")
                or word in _AR_STOP
                or (words and word.translate(_AR_FOLD) in self._common)
            ):
                break
            words.append((tok.start(), tok.start() + len(word)))
            if closed or len(words) == 3:
                break
        if not words:
            return None
        if len(words) == 1:
            nxt = text[words[0][1] : words[0][1] + 6].lstrip()
            if nxt.startswith("ال") and not nxt.startswith(("الذي", "التي")):
                return None  # a noun in a construct, not a name: سكرتير مجلس الأمن
        return words[0][0], words[-1][1], "PERSON"

    def _capitalised(
        self, text: str, nouns_capitalised: bool, taken: bytearray | None
    ) -> list[Span]:
        out: list[Span] = []
        common = self._common
        for m in CAPS_RE.finditer(text):
            start, surface = m.start(), m.group()
            if taken is not None and taken[start]:
                continue  # the KB (or a model) already has a name here
            before = text[start - 1] if start else " "
            if before.isalnum() or before in _JOINERS:
                continue  # inside a word: McDonald's D, iPhone's P
            # Most runs are one everyday word opening a sentence ("The", "Port"), or in German
            # any noun: cheap exits before the full typing.
            if " " not in surface and not surface.isupper():
                low = _low(surface)
                if low in common or (low not in TITLES and sentence_initial(text, start)):
                    continue
                if nouns_capitalised and not _title_before(text, start):
                    continue
            elif nouns_capitalised and not _german_cue(text, start, surface):
                continue  # German runs of nouns: only a title or a name word makes them a name
            span = self._typed(text, start, surface, nouns_capitalised)
            if span is not None:
                out.append(span)
        return out

    def _typed(self, text: str, start: int, surface: str, nouns_capitalised: bool) -> Span | None:
        words = surface.split(" ")
        folded = [_low(w) for w in words]
        person = _title_before(text, start)
        # Leading titles and sentence-opening words are not part of the name.
        while folded and (
            folded[0] in TITLES
            or (folded[0] in self._common and sentence_initial(text, start))
            or not words[0][:1].isupper()
        ):
            person = person or folded[0] in TITLES
            start += len(words[0]) + 1
            words, folded = words[1:], folded[1:]
        if not words or sum(len(w) for w in words) < 2 or not self._name_like(text, start, words):
            return None
        etype = _type_of(folded, words, person=person, nouns_capitalised=nouns_capitalised)
        return None if etype is None else (start, start + len(" ".join(words)), etype)

    def _name_like(self, text: str, start: int, words: list[str]) -> bool:
        """A lone capitalised everyday word (a nationality, a month) is no name, nor is any lone
        word opening a sentence (the KB already had its chance at names there), unless it is an
        acronym."""
        if len(words) > 1:
            return True
        low = _low(words[0])
        if low not in self._common and low not in TITLES and not sentence_initial(text, start):
            return True
        return words[0].isupper() and len(words[0]) > 1 and low not in self._common


def _type_of(
    folded: list[str], words: list[str], *, person: bool, nouns_capitalised: bool
) -> str | None:
    if any(f in ORG_WORDS for f in folded):
        return "ORG"
    if any(f in LOC_WORDS for f in folded):
        return "LOC"
    if nouns_capitalised and not person:
        return None  # German: a capitalised run is as likely nouns as a name
    if person or len(words) > 1:
        return "PERSON"
    if words[0].isupper() and len(words[0]) <= _ACRONYM_MAX:
        return "ORG"  # an acronym
    return "MISC"


def _low(word: str) -> str:
    """What fold_key gives for a Latin/Cyrillic word, at a fraction of its cost."""
    low = word.lower()
    return low.replace("ё", "е") if "ё" in low else low


def _german_cue(text: str, start: int, surface: str) -> bool:
    """What ``_typed`` needs to type a run where every noun is capitalised: a title before or
    in it, or an organisation or place word in it (checked first: it is the cheap part)."""
    return any(_low(w) in _CUE_WORDS for w in surface.split(" ")) or _title_before(text, start)


def _title_before(text: str, start: int) -> bool:
    head = text[max(0, start - 40) : start].rstrip().rsplit(None, 1)
    return bool(head) and _low(head[-1].strip(".,:;")) in TITLES
