"""An item's dedupe fingerprint: what the dedupe decision needs of it, in about 600 bytes.

It is computed once per item in the stateless half of the pipeline (``Pipeline.prepare``), travels
between the two stages, and is what the store remembers of an item. Parts:

- ``minhash``: 64 one-permutation-each MinHash values of the body's 3-token shingles, low 16 bits
  kept (b-bit MinHash): the near-duplicate signal (the share of equal values estimates the Jaccard
  similarity of the shingle sets; a chance collision costs 1/65536).
- ``shingles``: how many distinct shingles the body has, so that containment (a truncated copy
  inside its original) can be told from Jaccard.
- ``headline_hash`` / ``sentences``: hashes of the folded headline and of the body's first
  ``MAX_SENTENCES`` sentences: exact blocking keys that survive an edit elsewhere (a typo fixed in
  one sentence leaves the others; a cut or an added paragraph leaves the first ones).
- ``words`` / ``word_count``: 64 MinHash values (low 8 bits) of the set of words of four or more
  letters in headline and body, and that set's size: the vocabulary two articles share (another
  outlet's article about the same story shares its names and content words, not its sentences).
  Version 1 fingerprints have none (``words`` empty); they are still read.
- ``embedding``: USE multilingual v3 of headline + lead, 4 bits per component
  (:mod:`streams.core.dedupe.embed`): the cross-lingual story signal.
- ``anchors``: language-independent tokens, hashed to 32 bits with a weight class and an entity
  flag in the low three bits: linked entity ids, Latin-script capitalised words (names survive
  translation; stems of six letters so that "Assanges" meets "Assange's"), and numbers.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from base64 import b64decode, b64encode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.core import native
from streams.core.text import NO_SPACE_CLASS, fold_latin, sentence_initial
from streams.errors import FormatError
from streams.models import Entity

U64 = npt.NDArray[np.uint64]

VERSION = 2  # 1 had no word MinHash; both are read
PERMUTATIONS = 64
WORD_PERMUTATIONS = 64
WORD_MIN_LETTERS = 4  # shorter words are mostly function words ("the", "und", "في")
MAX_WORDS = 0xFFFF
SHINGLE = 3
MAX_SENTENCES = 6
MIN_SENTENCE_TOKENS = 4  # shorter ones ("Reuters.", a dateline) are shared by unrelated items
MAX_ANCHORS = 32
MAX_SHINGLES = 0xFFFF

# Weight classes of anchors, stored in the low two bits of each anchor hash; the third bit marks a
# linked entity id (a word is only the same across Latin-script languages, an id in all).
BROAD, WEAK, PLACE, NAME = 0, 1, 2, 3
CLASS_BITS, ENTITY, ANCHOR_BITS = 3, 4, 7
CLASS_WEIGHT = (0.1, 0.3, 0.5, 1.0)
_BROAD_TYPES = frozenset({"LOC", "GPE"})
_STEM = 6
_TITLE_CASE_SHARE = 0.6

_HEADER = struct.Struct("<BB")  # version, length of the language code
_BODY = struct.Struct("<HBBBI")  # shingles, anchors, sentences, flags, headline hash
_WORDS = struct.Struct("<H")  # version 2: the word count, then WORD_PERMUTATIONS bytes
_HAS_EMBEDDING = 1
_HAS_WORDS = 2

_TOKEN = re.compile(r"\w+")
_SENTENCE = re.compile(r"[.!?。！？؟\n]+")
# Scripts written without spaces: each character is a token, or a "word" would be a whole clause.
_NO_SPACE = re.compile(f"[{NO_SPACE_CLASS}]")
_LATIN_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ASCII_WORD = re.compile(r"[a-z][a-z'’-]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:19|20)\d\d")
_UNLINKED_CLASS = {"PERSON": NAME, "ORG": NAME, "LOC": PLACE, "GPE": PLACE}
# Arabic letter variants that writers interchange (hamza seats, alif maqsura, ta marbuta).
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None}
)
_SENTENCE_END = frozenset('.!?:;"„«»“”')

_SEEDS = np.random.default_rng(20261129).integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_WORD_SEEDS = np.random.default_rng(20261207).integers(0, 2**63, WORD_PERMUTATIONS, dtype=np.uint64)
_C1 = np.array([0x9E3779B97F4A7C15], dtype=np.uint64)
_C2 = np.array([0xBF58476D1CE4E5B9], dtype=np.uint64)
_C3 = np.array([0x94D049BB133111EB], dtype=np.uint64)
_S30, _S27, _S31 = (np.uint64(s) for s in (30, 27, 31))
_FINGERPRINTER: list[Any] = []  # the extension's, made on first use


def mix64(x: U64) -> U64:
    """splitmix64's finaliser, on arrays (uint64 arithmetic wraps, which is the point)."""
    x = x + _C1
    x = (x ^ (x >> _S30)) * _C2
    x = (x ^ (x >> _S27)) * _C3
    result: U64 = x ^ (x >> _S31)
    return result


@dataclass(frozen=True, slots=True)
class Fingerprint:
    language: str
    shingles: int
    headline_hash: int
    sentences: tuple[int, ...]  # uint32 hashes of the body's first sentences
    minhash: bytes  # PERMUTATIONS little-endian uint16
    embedding: bytes  # dedupe_embed.PACKED_BYTES, or empty when no embedder was given
    anchors: tuple[int, ...]  # uint32 hash with the weight class in the low two bits
    words: bytes = b""  # WORD_PERMUTATIONS uint8 MinHash values of the word set; empty in v1
    word_count: int = 0  # distinct words of WORD_MIN_LETTERS or more

    def to_bytes(self) -> bytes:
        lang = self.language.encode("ascii", "replace")[:255]
        flags = (_HAS_EMBEDDING if self.embedding else 0) | (_HAS_WORDS if self.words else 0)
        words = _WORDS.pack(min(self.word_count, MAX_WORDS)) + self.words if self.words else b""
        return b"".join(
            (
                _HEADER.pack(VERSION, len(lang)),
                lang,
                _BODY.pack(
                    min(self.shingles, MAX_SHINGLES),
                    len(self.anchors),
                    len(self.sentences),
                    flags,
                    self.headline_hash,
                ),
                self.minhash,
                words,
                self.embedding,
                struct.pack(f"<{len(self.anchors)}I", *self.anchors),
                struct.pack(f"<{len(self.sentences)}I", *self.sentences),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """What :meth:`to_bytes` wrote; raises FormatError for anything else."""
        try:
            return cls._unpack(data)
        except FormatError:
            raise
        except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
            raise FormatError(f"not a fingerprint: {exc}") from None

    @classmethod
    def _unpack(cls, data: bytes) -> Fingerprint:
        from streams.core.dedupe.embed import PACKED_BYTES

        version, lang_len = _HEADER.unpack_from(data, 0)
        if version not in (1, VERSION):
            raise FormatError(f"unknown fingerprint version {version}")
        at = _HEADER.size
        language = data[at : at + lang_len].decode("ascii")
        at += lang_len
        shingles, n_anchors, n_sentences, flags, headline_hash = _BODY.unpack_from(data, at)
        at += _BODY.size
        minhash = data[at : at + 2 * PERMUTATIONS]
        at += 2 * PERMUTATIONS
        words, word_count = b"", 0
        if version > 1 and flags & _HAS_WORDS:
            (word_count,) = _WORDS.unpack_from(data, at)
            words = data[at + _WORDS.size : at + _WORDS.size + WORD_PERMUTATIONS]
            at += _WORDS.size + WORD_PERMUTATIONS
        embedding = data[at : at + PACKED_BYTES] if flags & _HAS_EMBEDDING else b""
        at += len(embedding)
        anchors = struct.unpack_from(f"<{n_anchors}I", data, at)
        sentences = struct.unpack_from(f"<{n_sentences}I", data, at + 4 * n_anchors)
        return cls(
            language, shingles, headline_hash, sentences, minhash, embedding, anchors,
            words, word_count,
        )  # fmt: skip

    def to_text(self) -> str:
        """Base64: the store's values must be JSON (a faust table serialises them so)."""
        return b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> Fingerprint:
        return cls.from_bytes(b64decode(text))

    def minhash_array(self) -> npt.NDArray[np.uint16]:
        return np.frombuffer(self.minhash, dtype="<u2")


def fingerprint(
    headline: str | None,
    text: str,
    language: str,
    entities: Sequence[Entity],
    embedding: npt.NDArray[np.float32] | None,
) -> Fingerprint:
    """Fingerprint of a normalized item (``text`` is the clean body, entities index into it).

    Native when ``core.native`` allows (the same fingerprint: :func:`fingerprint_reference`
    defines it), else the reference."""
    ext = native.extension()
    if ext is not None:
        try:
            return _fingerprint_native(
                ext, headline or "", text, language, entities, embedding=embedding
            )
        except UnicodeEncodeError:  # a lone surrogate, which only Python strings can hold
            pass
    return fingerprint_reference(headline, text, language, entities, embedding)


def fingerprint_reference(
    headline: str | None,
    text: str,
    language: str,
    entities: Sequence[Entity],
    embedding: npt.NDArray[np.float32] | None,
) -> Fingerprint:
    """The Python reference of :func:`fingerprint`."""
    from streams.core.dedupe.embed import quantize

    tokens = tokenize(text)
    shingle_set = shingle_hashes(tokens)
    word_set = word_hashes([*tokenize(headline), *tokens] if headline else tokens)
    return Fingerprint(
        language=language,
        shingles=int(shingle_set.size),
        headline_hash=_crc(" ".join(tokenize(headline))) if headline else 0,
        sentences=sentence_hashes(text),
        minhash=minhash(shingle_set).astype("<u2").tobytes(),
        embedding=quantize(embedding) if embedding is not None else b"",
        anchors=anchors(f"{headline}\n{text}" if headline else text, entities),
        words=word_minhash(word_set).tobytes() if word_set.size else b"",
        word_count=int(word_set.size),
    )


def _fingerprint_native(
    ext: ModuleType,
    headline: str,
    text: str,
    language: str,
    entities: Sequence[Entity],
    *,
    embedding: npt.NDArray[np.float32] | None,
) -> Fingerprint:
    from streams.core.dedupe.embed import quantize

    if not _FINGERPRINTER:
        _FINGERPRINTER.append(ext.Fingerprinter(_SEEDS.tolist(), _WORD_SEEDS.tolist()))
    found = list(_entity_anchors(entities).items())
    shingles, head, sentences, mins, strong, words, word_count = _FINGERPRINTER[0].parts(
        text, text.casefold(), headline, headline.casefold(), [(k, c, p) for k, (c, p) in found]
    )
    return Fingerprint(
        language, shingles, head, sentences, mins,
        quantize(embedding) if embedding is not None else b"", strong, words, word_count,
    )  # fmt: skip


def tokenize(text: str) -> list[str]:
    """Casefolded word tokens; characters of scripts without spaces are tokens of their own."""
    out: list[str] = []
    for word in _TOKEN.findall(text.casefold()):
        if _NO_SPACE.search(word):
            out.extend(_split_no_space(word))
        else:
            out.append(word)
    return out


def sentence_hashes(text: str) -> tuple[int, ...]:
    """Hashes of the first ``MAX_SENTENCES`` sentences of at least ``MIN_SENTENCE_TOKENS``."""
    out: list[int] = []
    for sentence in _SENTENCE.split(text):
        tokens = tokenize(sentence)
        if len(tokens) >= MIN_SENTENCE_TOKENS:
            out.append(_crc(" ".join(tokens)))
            if len(out) == MAX_SENTENCES:
                break
    return tuple(dict.fromkeys(out))


def _split_no_space(word: str) -> Iterable[str]:
    run = ""
    for ch in word:
        if _NO_SPACE.match(ch):
            if run:
                yield run
                run = ""
            yield ch
        else:
            run += ch
    if run:
        yield run


def shingle_hashes(tokens: Sequence[str]) -> U64:
    """The distinct 64-bit hashes of the ``SHINGLE``-token shingles (a short text: its tokens)."""
    if not tokens:
        return np.zeros(1, np.uint64)  # one fixed shingle: every empty text is the same text
    hashed = mix64(np.fromiter((_crc(t) for t in tokens), np.uint64, len(tokens)))
    if hashed.size >= SHINGLE:
        # Nested mixing makes the shingle hash depend on token order, not just on the tokens.
        hashed = mix64(hashed[:-2] ^ mix64(hashed[1:-1] ^ mix64(hashed[2:])))
    return np.unique(hashed)


def word_hashes(tokens: Sequence[str]) -> U64:
    """The distinct 64-bit hashes of the words of at least ``WORD_MIN_LETTERS`` characters."""
    words = {t for t in tokens if len(t) >= WORD_MIN_LETTERS}
    return mix64(np.fromiter((_crc(w) for w in words), np.uint64, len(words)))


def word_minhash(words: U64) -> npt.NDArray[np.uint8]:
    """One salted hash per word permutation, the minimum over the words, its low 8 bits kept."""
    table = mix64(words[None, :] ^ _WORD_SEEDS[:, None])
    low: npt.NDArray[np.uint8] = (table.min(axis=1) & np.uint64(0xFF)).astype(np.uint8)
    return low


def minhash(shingles: U64) -> npt.NDArray[np.uint16]:
    """One salted hash per permutation, the minimum over the shingles, its low 16 bits kept."""
    table = mix64(shingles[None, :] ^ _SEEDS[:, None])
    low: npt.NDArray[np.uint16] = (table.min(axis=1) & np.uint64(0xFFFF)).astype(np.uint16)
    return low


def anchors(text: str, entities: Sequence[Entity]) -> tuple[int, ...]:
    """Language-independent tokens of ``text``, strongest first, at most ``MAX_ANCHORS``."""
    found = _entity_anchors(entities)
    add = partial(_add, found)
    offset = 0
    for line in text.split("\n"):
        words = [
            (m.start() + offset, m.group())
            for m in _LATIN_WORD.finditer(line)
            if len(m.group()) >= 3 and fold_latin(m.group()) is not None
        ]
        capitals = [(at, w) for at, w in words if w[0].isupper()]
        # In a Title Case or upper-case line (an English headline) a capital says nothing.
        title_case = len(words) >= 3 and len(capitals) >= _TITLE_CASE_SHARE * len(words)
        for at, word in capitals:
            weak = title_case or sentence_initial(text, at)
            add(f"w:{fold_latin(word) or ''}"[: 2 + _STEM], WEAK if weak else NAME, at)
        offset += len(line) + 1
    for match in _NUMBER.finditer(text):
        digits = match.group()
        if sum(c.isdigit() for c in digits) >= 2 and not _YEAR.fullmatch(digits):
            add(f"n:{digits.replace(',', '.')}", WEAK, match.start())
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[1][1]))[:MAX_ANCHORS]
    return tuple(
        (_crc(key) & ~ANCHOR_BITS) | (ENTITY if key.startswith("e:") else 0) | cls
        for key, (cls, _pos) in ranked
    )


def _add(found: dict[str, tuple[int, int]], key: str, weight_class: int, position: int) -> None:
    """Keep a key's strongest class and its first position."""
    old = found.get(key)
    if old is None or weight_class > old[0]:
        found[key] = (weight_class, old[1] if old else position)


def _entity_anchors(entities: Sequence[Entity]) -> dict[str, tuple[int, int]]:
    """The anchors of the entities: key -> (class, first position), in the order found."""
    found: dict[str, tuple[int, int]] = {}
    for entity in entities:
        if entity.id:
            broad = entity.type in _BROAD_TYPES
            cls = (BROAD if entity.lat is None else PLACE) if broad else NAME
            _add(found, f"e:{entity.id}", cls, entity.start)
        else:
            # An unlinked name in a script without capitals (Arabic, Hebrew, ...): its words,
            # so that two articles naming the same person meet although the KB has no id.
            cls = _UNLINKED_CLASS.get(entity.type, WEAK)
            for word in _TOKEN.findall(entity.text):
                key = _fold_other(word)
                if key is not None:
                    _add(found, f"u:{key}", cls, entity.start)
    return found


@lru_cache(maxsize=1 << 15)
def _fold_other(word: str) -> str | None:
    """A word of an unlinked entity without combining marks, if it has at least three letters
    and is not written in Latin letters (those are anchors already, as capitalised words)."""
    if len(word) < 3 or word.isdigit() or fold_latin(word) is not None:
        return None
    decomposed = unicodedata.normalize("NFKD", word.casefold()).translate(_ARABIC_FOLD)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain if len(plain) >= 3 else None


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))
