"""Marker words and letters that tell apart the languages of one confusable group.

The statistical models score character n-grams, and close languages share most of them: on a
headline, Malay and Indonesian, or Norwegian and Danish, often differ by one word. These tables
list, for each group of ``langid_codes.GROUPS``, common news words (and a few letters and
endings) that one or some of the group's languages use and the others do not, e.g. Malay
"kerajaan" where Indonesian says "pemerintah", Danish "efter" where Norwegian says "etter".

Each key names the languages that use the words in its value; every hit counts one unit of
evidence for each of them, and the cascade adds the counts to its scores (``langid.py``). The
lists were written for this project from the languages' standard usage, and favour precision:
a word shared by two languages of the group is listed with both or not at all.
"""

from __future__ import annotations

import re

_WORDS: dict[str, str] = {
    # --- Malay (Malaysia, Brunei) and Indonesian ---
    "ms": "kerajaan peratus bajet baharu selepas polis syarikat kerana bilion wang kereta "
    "hospital universiti sahaja jururawat kecemasan mahu manakala iaitu mengekalkan "
    "memandangkan ringgit telefon televisyen filem muzik projek kualiti akaun insurans pejabat "
    "setiausaha jawatankuasa penyiasatan berhubung mesyuarat semasa rundingan dagangan "
    "belanjawan kakitangan pelancongan pelancong kenderaan lebuh lebuhraya kerusi "
    "perniagaan peniaga pengeluar keluaran eksport isnin khamis jumaat ahad ogos mac julai jun "
    "disember kes suspek gabenor",
    "id": "pemerintah persen kemarin perusahaan karena miliar uang mobil universitas saja perawat "
    "mau yaitu bisa kantor sekretaris telepon televisi proyek kualitas akun asuransi "
    "usulan pariwisata wisatawan kendaraan kursi bisnis produsen produksi ekspor impor senin "
    "kamis jumat maret agustus juli juni desember tim maskapai terkait pria dilanjutkan "
    "membutuhkan butuh acuan pemilu kasus tersangka kepolisian provinsi kabupaten gubernur "
    "nggak enggak gimana banget aja udah",
    # --- Ukrainian, Russian, Bulgarian (letters missing from an alphabet rule out more) ---
    "uk": "що це як від після також між уряд рік буде був була були його який яка яке які "
    "щодо проте зокрема або але вже дуже він вона вони цей ця року тільки сьогодні заявив "
    "роботу",
    "ru": "что это его был была было были будет году года который которые которая также "
    "уже очень только сейчас сегодня сказал заявил нет они",
    "uk ru": "через",
    "bg": "е са това този тази които който която след беше бяха във със година години днес",
    "uk bg": "ще заради",
    "ru bg": "как после",
    # --- Persian, Arabic, Urdu ---
    "fa": "است می را این که برای شد کرد های ها آن با از بود شده خود یک در نیز",
    "ar": "في على إلى الى التي الذي أن إن هذا هذه كان قال وقال عن",
    "ur": "ہے ہیں کے میں نے سے اور کا",
    # --- Hindi, Marathi, Nepali ---
    "hi": "है हैं था थी थे की में ने से और का नहीं किया गया कहा लिए भी यह इस हुआ हुई रहा रही गई दिया",
    "hi ne": "के",
    "mr": "आहे आहेत आणि नाही झाली झाला केले केली हे व मध्ये त्यांनी त्यांच्या सांगितले असे येथे तसेच पण",
    "ne": "छ छन् गरेको भएको गर्न पनि र थियो थिए छैन गरे भने भन्ने यो त्यो उनले उनी गरेका रहेको हुने गरी",
    # --- Spanish, Portuguese, Galician ---
    "es": "el los las del y una muy también ya hay años año ayer hasta según después sin "
    "hoy gobierno presupuestos precio huelga",
    "pt": "não uma também já ontem em com pelo pela você são muito então até depois ainda "
    "isso governo orçamento preço greve",
    "gl": "non unha unhas xa tamén moito moita polo pola coa co nunha dunha onte aínda máis "
    "despois goberno xunta xeral xente cando ata iso vindeiro prezo orzamento orzamentos "
    "galego folga",
    "es gl": "en pero",
    "pt gl": "os ao",
    # --- Norwegian (Bokmal), Danish, Nynorsk, Swedish ---
    "no": "hva noen noe regjeringen ble vært sier",
    "no nn": "etter nå uke gjennom mellom hundre selskap hadde sa norsk norske norges",
    "no nn sv": "av mot ut oss",
    "no da": "ikke jeg være hvordan hvorfor sammen millioner",
    "no da nn": "og også skal fra kroner",
    "da": "af uge hvad nogle noget gennem mellem hundrede selskab havde "
    "mod ud os siger sagde dansk danske danmarks været bliver",
    "da sv": "blev efter nu regeringen",
    "nn": "ikkje eg vere korleis kvifor saman kva nokon noko vart",
    "sv": "inte och jag från varför tillsammans miljoner kronor svensk svenska sveriges ska "
    "varit hade säger sade",
}

# Letters that only some languages of a group write (each occurrence counts).
_LETTERS: dict[str, str] = {
    "pt": "ãõç",
    "es gl": "ñ",
    "sv": "äö",
    "no da nn": "æø",
    "mr": "ळ",
    "fa ur": "پچژگ",
    "ur": "ےںٹڈڑ",
    "ar": "ةى",
}

# Word endings: (ending, languages, shortest word). Bulgarian's definite article, Nepali's
# perfect participle, Marathi's genitive, and the Danish spellings of two common suffixes.
_ENDINGS: tuple[tuple[str, str, int], ...] = (
    ("ът", "bg", 4),
    ("ння", "uk", 5),
    ("ेको", "ne", 4),
    ("च्या", "mr", 5),
    ("hed", "da", 5),
    ("heden", "da", 6),
    ("het", "no nn sv", 5),
    ("heten", "no nn sv", 6),
    ("skab", "da", 6),
    ("skap", "no nn sv", 6),
)


def _compile() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    words: dict[str, frozenset[str]] = {}
    for langs, listed in _WORDS.items():
        for word in listed.split():
            words[word] = words.get(word, frozenset()) | frozenset(langs.split())
    letters: dict[str, frozenset[str]] = {}
    for langs, listed in _LETTERS.items():
        for letter in listed:
            letters[letter] = letters.get(letter, frozenset()) | frozenset(langs.split())
    return words, letters


WORD_MARKS, LETTER_MARKS = _compile()
_ENDING_MARKS = tuple(
    (ending, frozenset(langs.split()), shortest) for ending, langs, shortest in _ENDINGS
)
_ANY_ENDING = tuple(ending for ending, _langs, _shortest in _ENDINGS)
_LETTER_CLASS = re.compile("[" + "".join(sorted(LETTER_MARKS)) + "]")
# Words are split at spaces, punctuation and the zero-width non-joiner, which Persian writes
# between a verb and its prefix "mi" or a noun and its plural "ha".
_TOKEN = re.compile(r"[^\s!-/:-@\[-`{-~«»“”‘’‚„…–—।॥،؛؟\u200c]+")
_MARKER_CHARS = 2_000  # a language's markers show in its first paragraphs
_LETTER_CAP = 3  # one foreign name must not outweigh a sentence of words


def marker_hits(text: str, candidates: frozenset[str]) -> dict[str, int]:
    """Marker hits per candidate language (only languages in ``candidates`` are counted)."""
    sample = text[:_MARKER_CHARS].lower()
    hits = dict.fromkeys(candidates, 0)
    for token in _TOKEN.findall(sample):
        langs = WORD_MARKS.get(token)
        if langs is None:
            if not token.endswith(_ANY_ENDING):  # one C call rules out most words
                continue
            for ending, ending_langs, shortest in _ENDING_MARKS:
                if len(token) >= shortest and token.endswith(ending):
                    langs = ending_langs
                    break
            else:
                continue
        for lang in langs & candidates:
            hits[lang] += 1
    letter_counts: dict[str, int] = {}
    for letter in _LETTER_CLASS.findall(sample):
        letter_counts[letter] = letter_counts.get(letter, 0) + 1
    for letter, n in letter_counts.items():
        for lang in LETTER_MARKS[letter] & candidates:
            hits[lang] += min(n, _LETTER_CAP)
    return hits
