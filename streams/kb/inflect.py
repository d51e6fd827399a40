"""Russian and Ukrainian case forms of names, generated at build time (no runtime stemming).

Russian and Ukrainian decline names: Москва, Москвы, Москве; Україна, України, Україні; Путин,
Путина, Путиным. Matching a stem at run time would also accept derived words (российский,
москвич), so instead the KB stores the case forms themselves, made here from the ending of each
word by the regular paradigms. Over-generation is harmless (a form nobody writes is never met);
what matters is that the forms people do write are there, and that a form which is also a common
word is filtered like any other key (see streams.kb.build).

Words are folded (lower case, ё as е). Each multi-word name is declined word by word in parallel:
"соединенные штаты" -> "соединенных штатов", "владимир путин" -> "владимира путина".
"""

from __future__ import annotations

from itertools import product

# Case slots: genitive, dative, accusative, instrumental, locative (the nominative is the name).
_SLOTS = 5
_VELARS_SIBILANTS = frozenset("гкхжшщч")
_HUSHING = frozenset("жшщчц")
_VOWELS = frozenset("аеиоуыэюяіїє")
_MAX_FORMS_PER_CASE = 40
_MIN_STEM = 3

Forms = list[list[str]]  # per case, the forms in order of likelihood


def _slots(*per_slot: tuple[str, ...], stem: str) -> Forms:
    return [[stem + s for s in sfx] for sfx in per_slot]


def _adjective(w: str) -> Forms | None:  # noqa: PLR0911 - one return per paradigm
    """Adjectives and adjective-like surnames (Зеленский, Донецкая, Соединенные, Сполучені)."""
    stem2 = w[:-2]
    if w.endswith(("ий", "ый", "ой")) and len(stem2) >= _MIN_STEM:
        soft = w.endswith("ий") and stem2[-1] not in _VELARS_SIBILANTS
        gen = ("его", "ого") if soft else ("ого",)
        return _slots(
            gen,
            ("ему", "ому"),
            ("ого", "его"),
            ("им", "ым"),
            ("ом", "ем", "ому", "ім"),
            stem=stem2,
        )
    if w.endswith(("ая", "яя")) and len(stem2) >= _MIN_STEM:
        return _slots(
            ("ой", "ей"), ("ой", "ей"), ("ую", "юю"), ("ой", "ей", "ою"), ("ой", "ей"), stem=stem2
        )
    if w.endswith(("ое", "ее")) and len(stem2) >= _MIN_STEM:
        return _slots(("ого", "его"), ("ому", "ему"), (), ("ым", "им"), ("ом", "ем"), stem=stem2)
    if w.endswith(("ые", "ие")) and len(stem2) >= _MIN_STEM:
        return _slots(
            ("ых", "их"), ("ым", "им"), ("ых", "их"), ("ыми", "ими"), ("ых", "их"), stem=stem2
        )
    stem1 = w[:-1]
    if w.endswith(("ька", "ська", "цька", "зька")):  # Ukrainian feminine adjective
        return _slots(("ої",), ("ій",), ("у",), ("ою",), ("ій",), stem=stem1)
    if w.endswith(("ені", "ані", "ні", "ські", "цькі")) and len(stem1) >= _MIN_STEM:
        return _slots(("их",), ("им",), ("их",), ("ими",), ("их",), stem=stem1)
    return None


def _noun(w: str) -> Forms:  # noqa: PLR0911 - one return per paradigm
    stem = w[:-1]
    last = w[-1]
    if w.endswith(("ия", "ія")):
        i = "и" if w.endswith("ия") else "і"
        yi = "ии" if i == "и" else "ії"
        return _slots((yi,), (yi,), (i + "ю",), (i + "ей", i + "єю"), (yi,), stem=w[:-2])
    if last == "я":
        return _slots(("и", "і"), ("е", "і"), ("ю",), ("ей", "ею", "єю"), ("е", "і"), stem=stem)
    if last == "а":
        gen = ("и",) if stem[-1:] in _VELARS_SIBILANTS else ("ы", "и")
        dat = ["е", "і"]
        forms = _slots(gen, tuple(dat), ("у",), ("ой", "ою", "ей", "ею"), tuple(dat), stem=stem)
        # Ukrainian softens a velar before -і: Америка -> Америці, Прага -> Празі.
        soft = {"к": "ці", "г": "зі", "х": "сі"}.get(stem[-1:])
        if soft:
            for slot in (1, 4):
                forms[slot].append(stem[:-1] + soft)
        if w.endswith(("ова", "ева", "ина", "ына", "іна")):  # feminine surnames: Захаровой
            for slot in (0, 1, 4):
                forms[slot].extend((stem + "ой", stem + "ої", stem + "ій"))
        return forms
    if last == "ь":
        return _slots(
            ("я", "и"), ("ю", "и"), ("я",), ("ем", "ём", "ью", "ю"), ("е", "и", "і"), stem=stem
        )
    if last == "й":
        return _slots(("я",), ("ю",), ("я",), ("ем", "єм"), ("е", "ї", "и"), stem=stem)
    if last in ("ы", "и") and len(stem) >= _MIN_STEM:  # plural place names: Сумы, Суми, Штаты
        return _slots(("", "ов", "ів"), ("ам",), (), ("ами",), ("ах",), stem=stem)
    if last in _VOWELS:
        return [[] for _ in range(_SLOTS)]  # Токио, Сочи, Осло: indeclinable
    return _consonant(w)


def _consonant(w: str) -> Forms:
    stems = [w]
    # Ukrainian alternation in a closed last syllable: Харків -> Харкова, Київ -> Києва.
    if w.endswith("ів") and len(w) > _MIN_STEM:
        stems.append(w[:-2] + "ов")
    elif w.endswith("їв"):
        stems.append(w[:-2] + "єв")
    elif len(w) > 2 and w[-2] == "і" and w[-1] not in _VOWELS:
        # The same alternation elsewhere: дім -> дому, Білому домі; ніс -> носа.
        stems.extend((w[:-2] + "о" + w[-1], w[:-2] + "е" + w[-1]))
    forms: Forms = [[] for _ in range(_SLOTS)]
    for st in stems:
        ins = ("ем",) if st[-1] in _HUSHING else ("ом", "ым", "им")
        grown = _slots(("а", "у"), ("у", "ові", "еві"), ("а",), ins, ("е", "і", "у"), stem=st)
        for slot, extra in zip(forms, grown, strict=True):
            slot.extend(extra)
    return forms


def _word_forms(w: str) -> Forms:
    if len(w) < _MIN_STEM or not w.isalpha():
        return [[] for _ in range(_SLOTS)]
    return _adjective(w) or _noun(w)


def cyrillic_forms(name: str) -> set[str]:
    """Case forms of a folded Cyrillic name (the name itself excluded)."""
    words = name.split(" ")
    per_word = [_word_forms(w) for w in words]
    out: set[str] = set()
    for slot in range(_SLOTS):
        choices = [
            list(dict.fromkeys(f[slot])) or [w] for f, w in zip(per_word, words, strict=True)
        ]
        for made, combo in enumerate(product(*choices)):
            if made == _MAX_FORMS_PER_CASE:
                break  # a long name in every combination of variants: the first ones do
            out.add(" ".join(combo))
    out.discard(name)
    return out
