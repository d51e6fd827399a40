"""The project's statistical NER models: load one per language, tag text, propose typed spans.

A model is a linear-chain CRF trained by ``streams.ner.training.train`` and shipped in
``streams/ner/models/<lang>.wsner``. Tagging does not use the training library: the weights are
plain arrays, a word's summed weights for every window offset are computed once and cached (see
``streams.ner.features``), and Viterbi runs over all sentences of a text together.

Loading never raises: a missing or damaged model logs a warning, is recorded in
``load_status()``, and the language simply gets no proposals.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.ner import store
from streams.ner.decode import marginals, tag_spans, to_iob, viterbi_batch
from streams.ner.document import harmonize
from streams.ner.features import OFFSETS, PAD, Featurizer, Lexicon, featurizer, split_suffix
from streams.ner.table import ClusterTable, HashedTable, PhraseTable, WordLists
from streams.ner.text import (
    arabic_splits,
    chunks,
    raw_prefix_len,
    sentences,
    tokenize,
    tokenize_chars,
    word_bounds,
)
from streams.ner.weights import WordWeights

MODELS_DIR = Path(__file__).resolve().parent / "models"
SUFFIX = ".wsner"
# The cache of summed word weights, per loaded language: past this many bytes of rows it starts
# over. At 5 offsets x 17 labels x 4 bytes a row, 6 MB is 18,500 distinct words, and a day of
# news repeats most words (the cache fills as it is used: a language that sees no text costs none).
CACHE_BYTES = 6 * 1024 * 1024
PROPOSED_TYPES = frozenset({"PERSON", "ORG", "LOC", "MISC"})
# The word lists that hold place names as written (from the KB's sources).
PLACE_LISTS = frozenset({"country", "city", "region"})
# Scripts without capitals: the document pass only retypes there, it never adds a mention.
UNCASED = frozenset({"ar", "fa", "ur", "he", "zh"})
# Languages whose tokens are characters (the corpus is cut so, and the text has no spaces).
BY_CHARACTER = frozenset({"zh"})
# Without capitals, a lone word the model calls a person may be an adjective after a noun
# (اجتماع ماراثوني, "a marathon meeting"). Such a word is proposed only when the model's
# marginal probability of its label reaches this, or the text names a longer person ending
# with it (بوتين after فلاديمير بوتين). On ../shared/eval/ner_ar.conll the lone-word persons
# below 0.75 were 41% right (11 of 27), those above 86%: dropping them costs no F1 and removes
# most of the model's lone-word false alarms (docs/ner.md).
LONE_NAME_MIN_CONFIDENCE = 0.75

# Languages that write case suffixes on names after an apostrophe (Türkiye'nin, Ankara'da).
APOSTROPHE_SUFFIXES = frozenset({"tr", "az"})

Span = tuple[int, int, str]

_status: dict[str, str] = {}
_status_lock = threading.Lock()


def load_status() -> dict[str, str]:
    """Language -> "loaded", "missing" or "corrupt", for every model a load was tried for."""
    with _status_lock:
        return dict(_status)


def _set_status(language: str, state: str) -> None:
    with _status_lock:
        _status[language] = state


def _log() -> Any:
    # Looked up per call, not at import: structlog's test capture swaps the configuration.
    from streams.logs import get_logger

    return get_logger("streams.ner")


def model_path(language: str) -> Path:
    return MODELS_DIR / f"{language}{SUFFIX}"


class NerModel:
    """One language's tagger. Thread-compatible for reads; the word cache is per instance."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.meta = meta
        self.language: str = meta["language"]
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        # Every array kept is a copy: the decompressed file is freed once loading ends, so a
        # loaded model costs what it keeps (weights.py), not its whole payload.
        self._feats: Featurizer = featurizer(self.language, _lexicon(meta, arrays))
        n_labels = len(self.labels)
        if "word_keys" in arrays:  # format v2: sparse rows, hashed names
            self._words = WordWeights.from_arrays(arrays, (len(OFFSETS), n_labels))
        else:  # format v1: a dense array and the names
            names = store.unpack_strings(arrays["word_features"])
            dense = arrays["word_weights"]
            if dense.shape != (len(names), len(OFFSETS), n_labels):
                raise store.ModelFormatError("word weights do not match the feature list")
            self._words = WordWeights.from_dense(names, dense)
        pos_names = store.unpack_strings(arrays["position_features"])
        self._pos_index = {name: i for i, name in enumerate(pos_names)}
        self._pos_weights = np.array(arrays["position_weights"], dtype=np.float32)
        self._transitions = np.array(arrays["transitions"], dtype=np.float32)
        shape_ok = self._pos_weights.shape == (
            len(pos_names),
            n_labels,
        ) and self._transitions.shape == (n_labels, n_labels)
        if not shape_ok:
            raise store.ModelFormatError("weight arrays do not match the feature and label lists")
        self._cache: dict[str, tuple[int, str, int]] = {}
        self._cache_rows = max(4096, CACHE_BYTES // (len(OFFSETS) * n_labels * 4))
        self._rows = np.zeros((self._cache_rows, len(OFFSETS), n_labels), dtype=np.float32)
        self._pad_row = 0
        self._rows[self._pad_row] = self._word_sum([(2, PAD)])
        self._lock = threading.Lock()
        self.document_pass = True
        self._lists = self._feats.lexicon.lists

    @classmethod
    def from_file(cls, path: Path) -> NerModel:
        """Load a model file; raises FileNotFoundError or store.ModelFormatError."""
        meta, arrays = store.read(path)
        try:
            return cls(meta, arrays)
        except (KeyError, IndexError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise store.ModelFormatError(f"{path}: {exc}") from None

    @classmethod
    def load(cls, language: str, path: Path | None = None) -> NerModel | None:
        """The model for ``language`` (default: the packaged one), or None with a warning."""
        where = path or model_path(language)
        try:
            model = cls.from_file(where)
        except FileNotFoundError:
            _set_status(language, "missing")
            _log().warning("ner_model_missing", language=language, path=str(where))
            return None
        except Exception as exc:  # whatever is wrong with the file: no model, not a crash
            # A bad model file must cost its language the proposals, never the worker.
            _set_status(language, "corrupt")
            _log().warning("ner_model_corrupt", language=language, path=str(where), error=str(exc))
            return None
        if model.language != language:
            _set_status(language, "corrupt")
            _log().warning(
                "ner_model_corrupt",
                language=language,
                path=str(where),
                error=f"file holds a {model.language!r} model",
            )
            return None
        _set_status(language, "loaded")
        return model

    # -- tagging ---------------------------------------------------------------------------

    def covers(self, language: str | None) -> bool:
        """True: a model tags any text it is given as its own language (SpanProposer)."""
        del language
        return True

    def propose(self, text: str, language: str | None = None) -> tuple[Span, ...]:
        """Entity spans ``(start, end, TYPE)`` in ``text``, TYPE in PERSON/ORG/LOC/MISC.

        ``language`` is accepted for the SpanProposer protocol; a model tags as its own language
        whatever it is told (choosing the model is the caller's job, see ``NerProposer``).
        """
        del language
        if not text:
            return ()
        if self.language in BY_CHARACTER:
            offsets = tokenize_chars(text)
        else:
            offsets = tokenize(text, self._feats.lexicon.abbreviations)
        bounds = list(sentences(text, offsets))
        words = [text[s:e] for s, e in offsets]
        sents = [words[a:b] for a, b in bounds]
        tags, emissions = self._tag(sents)
        found = [tag_spans(t) for t in tags]
        if self.document_pass and len(sents) > 1:
            found = harmonize(sents, found, cased=self.language not in UNCASED)
        if self.language in UNCASED and self.language not in BY_CHARACTER:
            found = self._drop_doubtful_lone_names(sents, found, emissions)
        spans: list[Span] = []
        for (first, _), sent_spans in zip(bounds, found, strict=True):
            for start, end, kind in sent_spans:
                lo, hi = word_bounds(words, first + start, first + end)
                if kind not in PROPOSED_TYPES or lo == hi:
                    continue
                begin = offsets[lo][0] + self._leading_clitic(words[lo])
                finish = offsets[hi - 1][1] - self._case_suffix(words[hi - 1])
                spans.append((begin, finish, kind))
        return tuple(spans)

    def tag_sentences(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags (project types) for tokenized sentences."""
        return self._tag(batch)[0]

    def _drop_doubtful_lone_names(
        self,
        sents: Sequence[Sequence[str]],
        found: list[list[Span]],
        emissions: list[npt.NDArray[np.float32]],
    ) -> list[list[Span]]:
        """See LONE_NAME_MIN_CONFIDENCE. Marginals are computed only for sentences with a lone
        person, so the cost is a forward-backward pass on a few sentences per document."""
        longer = {
            sent[end - 1]
            for sent, spans in zip(sents, found, strict=True)
            for start, end, kind in spans
            if kind == "PERSON" and end - start > 1
        }
        out = []
        for i, spans in enumerate(found):
            probs = None
            kept = []
            for start, end, kind in spans:
                if kind == "PERSON" and end - start == 1 and sents[i][start] not in longer:
                    if probs is None:
                        probs = marginals(emissions[i], self._transitions)
                    lone = "U-PERSON" if "U-PERSON" in self.labels else "B-PERSON"
                    label = self.labels.index(lone)
                    if probs[start, label] < LONE_NAME_MIN_CONFIDENCE:
                        continue
                kept.append((start, end, kind))
            out.append(kept)
        return out

    def _tag(
        self, batch: Sequence[Sequence[str]]
    ) -> tuple[list[list[str]], list[npt.NDArray[np.float32]]]:
        """IOB2 tags and each sentence's emission scores (empty for an empty sentence)."""
        todo = [i for i, s in enumerate(batch) if s]
        out: list[list[str]] = [[] for _ in batch]
        ems: list[npt.NDArray[np.float32]] = [
            np.zeros((0, len(self.labels)), dtype=np.float32) for _ in batch
        ]
        if not todo:
            return out, ems
        lengths = [len(batch[i]) for i in todo]
        with self._lock:
            runs = chunks([batch[i] for i in todo], self._cache_rows // 2)
            flat_parts = [self._emissions(chunk) for chunk in runs]
        flat = np.concatenate(flat_parts)
        emissions = np.zeros((len(todo), max(lengths), len(self.labels)), dtype=np.float32)
        pos = 0
        for row, n in enumerate(lengths):
            emissions[row, :n] = flat[pos : pos + n]
            pos += n
        paths = viterbi_batch(emissions, lengths, self._transitions)
        for row, i in enumerate(todo):
            out[i] = to_iob([self.labels[k] for k in paths[row]])
            ems[i] = emissions[row, : lengths[row]]
        return out, ems

    def _emissions(self, sents: Sequence[Sequence[str]]) -> npt.NDArray[np.float32]:
        """Emission scores of every token of every sentence, one row per token, in order.

        The sentences are laid end to end with ``reach`` padding words between them, so one
        shifted slice per window offset serves them all: the word ``k`` places away from a token
        is either a real neighbour or padding, exactly as in training.
        """
        unit_lists = [self._feats.units(tokens) for tokens in sents]
        distinct = dict.fromkeys(u for units in unit_lists for u in units)
        new = [u for u in distinct if u not in self._cache]
        if len(self._cache) + len(new) >= self._cache_rows - 1:
            # Rows handed out below must stay valid until they are read at the end.
            self._cache.clear()
            new = list(distinct)
        if new:
            self._add_entries(new)
        cache = self._cache
        reach = max(abs(k) for k in OFFSETS)
        seq: list[int] = [self._pad_row] * reach
        token_at: list[int] = []  # index into seq of each real token
        words: list[list[str]] = []
        codes: list[list[int]] = []
        for units in unit_lists:
            sent_words, sent_codes = [], []
            for tok in units:
                row, word, code = cache[tok]
                token_at.append(len(seq))
                seq.append(row)
                sent_words.append(word)
                sent_codes.append(code)
            seq.extend([self._pad_row] * reach)
            words.append(sent_words)
            codes.append(sent_codes)
        rows = self._rows[seq]  # (len(seq), offsets, labels)
        n = len(seq)
        em_all = np.zeros((n - 2 * reach, len(self.labels)), dtype=np.float32)
        for k_idx, k in enumerate(OFFSETS):
            # The label at i reads the word at i + k through offset k's weights.
            em_all += rows[reach + k : n - reach + k, k_idx]
        em: npt.NDArray[np.float32] = em_all[np.asarray(token_at) - reach]
        hit_rows: list[int] = []
        hit_ids: list[int] = []
        base = 0
        for sent_words, sent_codes in zip(words, codes, strict=True):
            for i, names in enumerate(self._feats.positions(sent_words, sent_codes)):
                for name in names:
                    fid = self._pos_index.get(name)
                    if fid is not None:
                        hit_rows.append(base + i)
                        hit_ids.append(fid)
            base += len(sent_words)
        if hit_ids:
            np.add.at(em, hit_rows, self._pos_weights[hit_ids])
        return em

    def _add_entries(self, units: Sequence[str]) -> None:
        """Cache each new unit's row of summed word weights, its normal form, and its
        phrase-start code (which multi-word list names may start here); the weights of all of
        them are gathered in one batch (weights.py)."""
        words = [self._feats.normalize(u) for u in units]
        sums = self._words.sum_many([[f for _, f in self._feats.word(w)] for w in words])
        first = len(self._cache) + 1  # row 0 is the padding word's
        self._rows[first : first + len(units)] = sums
        for i, (unit, word) in enumerate(zip(units, words, strict=True)):
            self._cache[unit] = (first + i, word, self._feats.start_code(word))

    def _word_sum(self, feats: Sequence[tuple[int, str]]) -> npt.NDArray[np.float32]:
        return self._words.sum([f for _, f in feats])

    def _case_suffix(self, token: str) -> int:
        """How many characters at the end of an entity's last token are a case suffix to
        leave out: Turkish writes it after an apostrophe ("Londra'yı", "Erdoğan'ın"), and the
        corpus keeps it in the token; the name is what a span is for (linking, alerting)."""
        if self.language not in APOSTROPHE_SUFFIXES:
            return 0
        stem, suffix = split_suffix(token)
        return len(token) - len(stem) if suffix else 0

    def _leading_clitic(self, token: str) -> int:
        """How many characters of an entity's first token are a proclitic to leave out.

        Only for Arabic, and only where the model's own word lists know the rest of the token
        as a name and the place lists (names as written, unlike the "seen in training" lists,
        which hold corpus tokens with their proclitics) do not know the whole token: وواشنطن ->
        واشنطن, but وليد and كندا stay whole.
        """
        if self.language != "ar":
            return 0
        word = self._feats.normalize(token)
        if PLACE_LISTS.intersection(self._lists.kinds(word)):
            return 0  # كندا is Canada, not ك + ندا
        for pre, stem in arabic_splits(word, min_stem=3)[1:]:
            # "لل" + stem is ل + ال with the alef dropped: no cut gives the name, keep the token.
            if len(pre) + len(stem) != len(word):
                continue
            # Whole names only: the "+" lists hold words of longer names.
            if any(not kind.endswith("+") for kind in self._lists.kinds(stem)):
                return raw_prefix_len(token, len(pre))
        return 0


def _lexicon(meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> Lexicon:
    def table(keys: str, values: str) -> HashedTable:
        vals = np.array(arrays[values], dtype=np.int64)
        if len(vals) and int(vals.min()) >= -(2**31) and int(vals.max()) < 2**31:
            vals = vals.astype(np.int32)  # cluster paths and list masks mostly fit: 4 bytes saved
        return HashedTable(np.array(arrays[keys], dtype=np.uint64), vals)

    lists = WordLists(
        tuple(store.unpack_strings(arrays["list_names"])), table("list_keys", "list_masks")
    )
    phrases = PhraseTable(
        tuple(store.unpack_strings(arrays["phrase_names"])),
        table("phrase_start_keys", "phrase_start_codes"),
        store.unpack_strings(arrays["phrases"]),
    )
    clusters = None
    if "cluster_keys" in arrays:
        clusters = ClusterTable(table("cluster_keys", "cluster_values"))
    return Lexicon(
        lists=lists,
        phrases=phrases,
        abbreviations=frozenset(meta.get("abbreviations", [])),
        clusters=clusters,
    )
