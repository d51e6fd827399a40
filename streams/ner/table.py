"""A compact read-only word -> integer table: sorted 64-bit hashes and values in two arrays.

The English cluster table has about a million words; as a Python dict it would cost a hundred MB
or more, as two arrays it costs 12 bytes a word. Lookups are for words the tagger has not cached
yet, so a binary search per lookup is cheap enough. Two distinct words collide with probability
about n / 2**64, which is nothing at this size.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt


def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class HashedTable:
    """Maps a word to an ``int64`` value; built from a mapping, or from its two stored arrays."""

    def __init__(
        self, keys: npt.NDArray[np.uint64], values: npt.NDArray[np.int64] | npt.NDArray[np.int32]
    ) -> None:
        if keys.shape != values.shape or keys.ndim != 1:
            raise ValueError("keys and values must be 1-d arrays of one length")
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            raise ValueError("keys must be sorted and distinct")
        self.keys = keys
        self.values = values

    @classmethod
    def build(cls, mapping: Mapping[str, int]) -> HashedTable:
        pairs = sorted({word_hash(w): v for w, v in mapping.items()}.items())
        keys = np.array([k for k, _ in pairs], dtype=np.uint64)
        values = np.array([v for _, v in pairs], dtype=np.int64)
        return cls(keys, values)

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, word: str) -> int | None:
        h = np.uint64(word_hash(word))
        i = int(np.searchsorted(self.keys, h))
        if i < len(self.keys) and self.keys[i] == h:
            return int(self.values[i])
        return None


class ClusterTable:
    """Word -> (Brown cluster path, -log-probability bucket), packed in a HashedTable."""

    def __init__(self, table: HashedTable) -> None:
        self.table = table

    @classmethod
    def build(cls, mapping: Mapping[str, tuple[int, int]]) -> ClusterTable:
        return cls(HashedTable.build({w: path << 8 | prob for w, (path, prob) in mapping.items()}))

    def get(self, word: str) -> tuple[int, int] | None:
        v = self.table.lookup(word)
        return None if v is None else (v >> 8, v & 0xFF)


class WordLists:
    """Word -> the names of the word lists that hold it (one bitmask per word, hashed).

    The English place lists alone hold 180,000 words; as Python sets they cost some 60 MB.
    """

    def __init__(self, names: tuple[str, ...], table: HashedTable) -> None:
        if len(names) > MAX_LISTS:
            raise ValueError(f"at most {MAX_LISTS} word lists, got {len(names)}")
        self.names = names
        self.table = table

    @classmethod
    def build(cls, lists: Mapping[str, Iterable[str]]) -> WordLists:
        names = tuple(sorted(lists))
        masks: dict[str, int] = {}
        for bit, name in enumerate(names):
            for word in lists[name]:
                masks[word] = masks.get(word, 0) | 1 << bit
        return cls(names, HashedTable.build(masks))

    def kinds(self, word: str) -> tuple[str, ...]:
        mask = self.table.lookup(word)
        if not mask:
            return ()
        return tuple(name for bit, name in enumerate(self.names) if mask >> bit & 1)


class PhraseTable:
    """Multi-word names per list: which lists and lengths start at a word, and membership.

    A start code packs, for list ``k`` and length ``n``, bit ``k * MAX_PHRASE + n - 1``, so a
    word that starts no name costs one lookup, and the tagger caches that answer per word. The
    names themselves are kept as a sorted array of their CRC-32s (4 bytes a name; as a set of
    strings 80,000 place names cost 10 MB per loaded model), and a sentence's candidates are
    checked in one batch (``has_many``): a binary search per candidate tripled the tagger's
    time. Two names with one CRC are harmless; a candidate that is no name but shares a name's
    CRC (odds of about one in 50,000 per candidate for 80,000 names) gets a list feature.
    """

    def __init__(self, names: tuple[str, ...], starts: HashedTable, phrases: Iterable[str]) -> None:
        if len(names) * MAX_PHRASE > 63:
            raise ValueError(f"at most {63 // MAX_PHRASE} phrase lists, got {len(names)}")
        self.names = names
        self.starts = starts
        self.crcs = np.unique(np.fromiter(map(_crc, phrases), dtype=np.uint32))
        self.strings: tuple[str, ...] = ()  # the names themselves, kept only when built
        self._candidates: dict[int, list[tuple[int, int]]] = {}

    @classmethod
    def build(cls, phrases: Mapping[str, Iterable[tuple[str, ...]]]) -> PhraseTable:
        names = tuple(sorted(phrases))
        starts: dict[str, int] = {}
        keys: set[str] = set()
        for k, name in enumerate(names):
            for phrase in phrases[name]:
                if 2 <= len(phrase) <= MAX_PHRASE:
                    bit = 1 << (k * MAX_PHRASE + len(phrase) - 1)
                    starts[phrase[0]] = starts.get(phrase[0], 0) | bit
                    keys.add(phrase_key(k, phrase))
        table = cls(names, HashedTable.build(starts), keys)
        table.strings = tuple(sorted(keys))  # for the model file
        return table

    def start_code(self, first: str) -> int:
        return self.starts.lookup(first) or 0

    def candidates(self, code: int) -> list[tuple[int, int]]:
        """``(length, list index)`` pairs of a start code, longest first."""
        found = self._candidates.get(code)
        if found is None:
            bits = [bit for bit in range(code.bit_length()) if code >> bit & 1]
            found = sorted(((b % MAX_PHRASE + 1, b // MAX_PHRASE) for b in bits), reverse=True)
            self._candidates[code] = found
        return found

    def has(self, k: int, phrase: tuple[str, ...]) -> bool:
        return bool(self.has_many([phrase_key(k, phrase)])[0])

    def has_many(self, keys: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Which of ``phrase_key``-made keys are names of the table."""
        crcs = np.fromiter(map(_crc, keys), dtype=np.uint32, count=len(keys))
        pos = np.searchsorted(self.crcs, crcs)
        pos[pos >= len(self.crcs)] = 0
        found: npt.NDArray[np.bool_] = (
            self.crcs[pos] == crcs if len(self.crcs) else np.zeros(len(keys), dtype=bool)
        )
        return found


def _crc(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


MAX_LISTS = 63
MAX_PHRASE = 8


def phrase_key(k: int, phrase: tuple[str, ...]) -> str:
    """A name of list ``k`` as one string (words hold no control characters)."""
    return f"{k}\x1f" + "\x1f".join(phrase)
