"""Every shipped NER model: it loads, fits the size budget, finds names in a sentence of its
language, handles Chinese without spaces, and a deployment can turn any language off."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.ner import SHIPPED, NerModel, NerProposer, load_ner
from streams.ner.model import model_path
from streams.ner.training.conll import (
    char_to_token_spans,
    name_spans,
    read_conll,
    score_spans,
    tag_spans,
)
from streams.ner.training.data import data_files
from streams.settings import EntitySettings, Settings, load_settings
from tests.conftest import SHARED

MAX_FILE_BYTES = 15 * 1000 * 1000

# One news sentence per language, and names a model must find in it (surface, type). Written
# for these tests, not taken from the training data.
SENTENCES = {
    "en": (
        "Chancellor Helmut Kohl met executives of Boeing in Seattle on Tuesday.",
        {("Helmut Kohl", "PERSON"), ("Seattle", "LOC")},
    ),
    "ar": (
        "وقال الرئيس الأمريكي جورج بوش ان الامم المتحدة متفقة مع كندا",
        {("جورج بوش", "PERSON"), ("كندا", "LOC")},
    ),
    "de": (
        "Bundeskanzler Helmut Kohl traf am Dienstag in Frankfurt den Vorstand der Deutschen Bank.",
        {("Helmut Kohl", "PERSON"), ("Frankfurt", "LOC")},
    ),
    "es": (
        "El presidente José María Aznar viajó a Barcelona para reunirse con la Generalitat.",
        {("José María Aznar", "PERSON"), ("Barcelona", "LOC")},
    ),
    "nl": (
        "Premier Wim Kok sprak dinsdag in Amsterdam met de directie van Philips.",
        {("Wim Kok", "PERSON"), ("Amsterdam", "LOC")},
    ),
    "fr": (
        "Le président Jacques Chirac s'est rendu à Marseille pour rencontrer le maire.",
        {("Jacques Chirac", "PERSON"), ("Marseille", "LOC")},
    ),
    "ru": (
        "Президент Борис Ельцин встретился в Москве с руководством компании.",
        {("Борис Ельцин", "PERSON"), ("Москве", "LOC")},
    ),
    "pt": (
        "O presidente Fernando Henrique Cardoso visitou Lisboa na semana passada.",
        {("Fernando Henrique Cardoso", "PERSON"), ("Lisboa", "LOC")},
    ),
    "it": (
        "Il presidente Romano Prodi ha incontrato a Milano i sindacati.",
        {("Romano Prodi", "PERSON"), ("Milano", "LOC")},
    ),
    "zh": (
        "国务院总理李鹏在北京会见了日本客人。",
        {("李鹏", "PERSON"), ("北京", "LOC")},
    ),
    "tr": (
        "Cumhurbaşkanı Süleyman Demirel dün Londra'yı ziyaret etti.",
        {("Süleyman Demirel", "PERSON"), ("Londra", "LOC")},
    ),
}


# Dev micro-F1 over PERSON/ORG/LOC of each shipped model (bench/ner.py, "token" scoring of names,
# every dev sentence through propose()); the floors sit 1.5 points under, so a real regression
# fails and retraining noise does not.
DEV_F1 = {
    "de": 0.777,
    "es": 0.818,
    "nl": 0.803,
    "fr": 0.923,
    "ru": 0.857,
    "pt": 0.934,
    "it": 0.897,
    "zh": 0.817,
    "tr": 0.753,
}
DEV_FLOOR_MARGIN = 0.015


@pytest.mark.parametrize("language", sorted(DEV_F1))
def test_dev_f1_floor(language: str) -> None:
    path = SHARED / "train" / "ner" / language / "dev.conll"
    if not path.exists():
        pytest.fail(f"{path} is missing (../shared must sit beside the repo)")
    model = NerModel.load(language)
    assert model is not None
    glue = "" if language == "zh" else " "
    gold, pred = [], []
    for sent in read_conll(path):
        offsets, pos = [], 0
        for tok in sent.tokens:
            offsets.append((pos, pos + len(tok)))
            pos += len(tok) + len(glue)
        text = glue.join(sent.tokens)
        gold.append(name_spans(sent.tokens, tag_spans(sent.tags)))
        pred.append(list(char_to_token_spans(model.propose(text, language), offsets, snap=True)))
    f1 = score_spans(gold, pred)["micro"].f1
    assert f1 >= DEV_F1[language] - DEV_FLOOR_MARGIN, f"{language} dev micro-F1 {f1:.4f}"


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> NerModel:
    model = NerModel.load(request.param)
    assert model is not None, f"the shipped {request.param} model did not load"
    return model


def test_every_shipped_language_has_a_sentence() -> None:
    assert set(SENTENCES) == set(SHIPPED)


def test_the_default_setting_runs_every_shipped_model() -> None:
    assert set(EntitySettings().ner_languages) == set(SHIPPED)


def test_a_shipped_model_loads_as_its_language(shipped: NerModel) -> None:
    assert shipped.language in SHIPPED
    assert set(shipped.labels) >= {"O"}


@pytest.mark.parametrize("language", SHIPPED)
def test_a_model_file_is_within_the_size_budget(language: str) -> None:
    size = model_path(language).stat().st_size
    assert size <= MAX_FILE_BYTES, f"{language}: {size / 1e6:.1f} MB"


@pytest.mark.parametrize(("language", "case"), SENTENCES.items(), ids=list(SENTENCES))
def test_a_model_finds_names_in_a_sentence_of_its_language(
    language: str, case: tuple[str, set[tuple[str, str]]]
) -> None:
    text, expected = case
    model = NerModel.load(language)
    assert model is not None
    found = {(text[s:e], t) for s, e, t in model.propose(text, language)}
    assert expected <= found, f"{language}: found {sorted(found)}"


def test_chinese_without_spaces_is_tagged_character_by_character() -> None:
    model = NerModel.load("zh")
    assert model is not None
    text = "新华社北京三月五日电。李鹏总理在人民大会堂会见了美国国务卿。江泽民主席出席了会议。"
    spans = model.propose(text, "zh")
    assert spans, "no entity found in Chinese text without spaces"
    surfaces = [text[s:e] for s, e, _ in spans]
    # Without a character tokenizer the whole text would be one token and one span at most.
    assert len(spans) >= 3
    assert all(0 < len(s) < 12 for s in surfaces)
    assert ("北京", "LOC") in {(text[s:e], t) for s, e, t in spans}


@pytest.mark.parametrize(
    ("token", "name"),
    [("Londra'yı", "Londra"), ("Türkiye'nin", "Türkiye"), ("Ankara’da", "Ankara")],
)
def test_a_turkish_span_leaves_the_case_suffix_out(token: str, name: str) -> None:
    model = NerModel.load("tr")
    assert model is not None
    text = f"Bakan dün {token} ziyaret etti."
    found = {text[s:e] for s, e, _ in model.propose(text, "tr")}
    assert name in found, sorted(found)


_ARABIC = NerProposer(("ar",))  # loads the model once, at the first use


def test_a_span_ends_on_a_word_not_on_the_punctuation_after_it() -> None:
    # ANERcorp writes its commas as ";" and the Arabic model carries some names over one.
    text = "وقال مارك ريجيف ; الناطق باسم وزارة الخارجية"
    assert ("مارك ريجيف", "PERSON") in {(text[s:e], t) for s, e, t in _ARABIC.propose(text, "ar")}


@given(
    st.lists(
        st.sampled_from(
            ["وقال", "مارك", "ريجيف", "الناطق", "باسم", "بوش", ";", "-", "·", "(", "."]
        ),
        max_size=30,
    )
)
@settings(max_examples=80, deadline=None)
def test_no_span_starts_or_ends_without_a_letter_or_digit(words: list[str]) -> None:
    text = " ".join(words)
    for start, end, _ in _ARABIC.propose(text, "ar"):
        assert text[start].isalnum(), repr(text[start:end])
        assert text[end - 1].isalnum(), repr(text[start:end])


@pytest.mark.parametrize(
    ("languages", "on", "off"),
    [
        (("en", "ar"), {"en", "ar"}, {"de", "es", "zh"}),
        (("de", "zh"), {"de", "zh"}, {"en", "fr"}),
        ((), set(), {"en", "de"}),
    ],
)
def test_the_setting_turns_languages_off(
    languages: tuple[str, ...], on: set[str], off: set[str]
) -> None:
    env = {"WIRESTREAM_ENTITIES_NER_LANGUAGES": ",".join(languages)}
    settings = load_settings(env)
    assert settings.entities.ner_languages == languages
    proposer = load_ner(settings.entities.ner_languages)
    for language in on:
        assert proposer.covers(language), language
    for language in off:
        assert not proposer.covers(language), language
        assert proposer.propose(SENTENCES[language][0], language) == ()


def test_the_pipeline_reads_the_setting() -> None:
    from streams.core.pipeline import Pipeline
    from streams.models import RawItem

    text = SENTENCES["de"][0]
    found = {}
    for languages in (("de",), ("en",)):
        settings = Settings(entities=EntitySettings(ner_languages=languages))
        pipeline = Pipeline.from_settings(settings, {})
        event = pipeline.enrich(RawItem(body=text, language_hint="de"), received_at=0.0).event
        assert event is not None
        assert event.language.code == "de"
        found[languages] = {(e.text, e.type) for e in event.entities}
    # The KB and the rules know neither the bank by this name nor this ORG: only the model does.
    assert ("Deutschen Bank", "ORG") in found[("de",)]
    assert ("Deutschen Bank", "ORG") not in found[("en",)]


def test_a_language_left_out_loads_no_model() -> None:
    proposer = NerProposer(("en",))
    assert proposer.model("de") is None
    assert proposer.model("en") is not None


def test_training_reads_the_shared_data_beside_the_repository() -> None:
    # `make train-ner` passes no --data: the defaults must be ../shared, whatever the package depth.
    from streams.ner.training.train import DEFAULT_DATA, DEFAULT_EVAL

    assert (DEFAULT_DATA, DEFAULT_EVAL) == (SHARED / "train", SHARED / "eval")


@pytest.mark.parametrize(
    ("language", "extra", "expected"),
    [
        (
            "de",
            ("de-germeval", "en"),
            ["ner/de/train.conll", "ner/de-germeval/train.conll", "ner_en_train.conll"],
        ),
        ("nl", ("de",), ["ner/nl/train.conll", "ner/de/train.conll"]),
    ],
)
def test_a_recipe_may_learn_from_other_sets_in_either_layout(
    language: str, extra: tuple[str, ...], expected: list[str]
) -> None:
    files, dev = data_files(language, SHARED / "train", extra, use_dev=False)
    assert [str(f.relative_to(SHARED / "train")) for f in files] == expected
    assert dev == SHARED / "train" / "ner" / language / "dev.conll"
