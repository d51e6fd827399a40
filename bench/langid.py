"""Language identification: our detector beside every installed anchor, in one run, on one core.

Data is READ at run time from ``../shared/eval/langid.jsonl`` (959 texts, 21 languages; see its
README) and never copied into the repository.

- short texts: the file's texts as they are (6 to 244 characters, median 40).
- long texts: each language's texts in file order, in consecutive groups of five joined by a
  space into one paragraph (a trailing group of three or four is kept, fewer dropped): 193
  paragraphs of 90 to 900 characters. Deterministic: no randomness, no other input. Every
  detector measured gets all of them right, so the same is done with groups of two ("pairs",
  478 paragraphs, a trailing single text dropped), where the weaker ones still slip.
- scoring: ``ms`` is Tatoeba's label for the Malay macrolanguage, and most of its texts are in
  Indonesian (``mobil``, ``bisa``, ``kamu``), so for gold ``ms`` an answer of ``id`` counts as
  right (ISO 639-3 puts Indonesian inside the macrolanguage ``msa``). Strict accuracy, with no
  such allowance, is reported too.
- speed: texts per second of CPU time (``process_time``, which a busy machine disturbs far less
  than wall time) with the process pinned to one core, the median of ``--runs`` passes over the
  short texts; detectors take turns within each run so that they share the machine's state.
  Raw fastText (``predict`` alone, the floor of any fastText-based detector) is listed as a
  yardstick.
- memory: each detector is loaded in a fresh subprocess that reports its RSS and load time.
- hard pairs: the 65 headlines and paragraphs written for tests/unit/test_langid_accuracy.py,
  scored strictly (there, ``ms`` is Malaysian Malay and ``id`` an error for it).

Anchors are optional, bench-only packages, imported lazily: a missing one prints "not
installed". Usage: ``python -m bench.langid [--runs 5] [--out .bench/langid.json]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.langid_detectors import DETECTORS, Detect

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "langid.jsonl"
OUT = ROOT / ".bench" / "langid.json"
GROUP = 5  # texts per long paragraph
PAIR = 2  # texts per "pair" paragraph: between a headline and an article, and discriminating

# --- data ----------------------------------------------------------------------------------------


def load_eval(path: Path = EVAL) -> list[tuple[str, str]]:
    """(gold code, text) for every line of the shared evaluation file."""
    if not path.exists():
        raise SystemExit(f"{path} is missing (../shared must sit beside the repo)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["lang"], row["text"]) for row in rows]


def long_texts(short: list[tuple[str, str]], size: int = GROUP) -> list[tuple[str, str]]:
    """Each language's texts, in file order, joined ``size`` at a time into paragraphs (a short
    trailing group is kept if it has at least max(2, size - 2) texts)."""
    by_lang: dict[str, list[str]] = collections.defaultdict(list)
    for lang, text in short:
        by_lang[lang].append(text)
    paragraphs = []
    for lang in sorted(by_lang):
        texts = by_lang[lang]
        for start in range(0, len(texts), size):
            group = texts[start : start + size]
            if len(group) >= max(2, size - 2):
                paragraphs.append((lang, " ".join(group)))
    return paragraphs


def hard_pairs() -> list[tuple[str, str]]:
    """The hard-pair headlines written for tests/unit/test_langid_accuracy.py (Malay/Indonesian,
    Ukrainian/Russian/Bulgarian, kanji, Persian/Arabic, Hindi/Marathi/Nepali,
    Spanish/Portuguese/Galician, Norwegian/Danish): strict scoring, ``ms`` is Malay there."""
    from harness.langid_texts import HARD_PAIRS, LONG_PAIRS

    return [*HARD_PAIRS, *LONG_PAIRS]


def correct(pred: str, gold: str) -> bool:
    return pred == gold or (gold == "ms" and pred == "id")


def pin_one_core() -> int | None:
    """Pin this process to its last allowed core (one core, as a worker process has)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_in_subprocess(name: str) -> dict[str, Any]:
    """Load time and RSS of one detector, loaded alone in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.langid", "--load-only", name],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load_only(name: str) -> None:
    start = time.perf_counter()
    detect = DETECTORS[name]()
    detect("warm up: the first call may load lazily")
    print(json.dumps({"load_s": time.perf_counter() - start, "rss_mb": rss_mb()}))


def score(detect: Detect, data: list[tuple[str, str]], strict: bool = False) -> dict[str, Any]:
    """Accuracy (``ms`` allowing ``id`` unless ``strict``), per language, and the confusions."""
    ok = (lambda pred, gold: pred == gold) if strict else correct
    preds = [detect(text) for _lang, text in data]
    total: collections.Counter[str] = collections.Counter()
    right: collections.Counter[str] = collections.Counter()
    confusions: collections.Counter[str] = collections.Counter()
    for (gold, _text), pred in zip(data, preds, strict=True):
        total[gold] += 1
        right[gold] += ok(pred, gold)
        if not ok(pred, gold):
            confusions[f"{gold}->{pred}"] += 1
    return {
        "accuracy": sum(right.values()) / len(data),
        "strict": sum(p == g for (g, _t), p in zip(data, preds, strict=True)) / len(data),
        "errors": len(data) - sum(right.values()),
        "per_language": {lang: right[lang] / total[lang] for lang in sorted(total)},
        "confusions": dict(confusions.most_common()),
    }


def calibration(data: list[tuple[str, str]], bins: int = 10) -> dict[str, float]:
    """Our confidence against our accuracy: expected calibration error, Brier score."""
    from streams.core.langid.detector import LanguageDetector

    detector = LanguageDetector(min_confidence=0.0)
    pairs = [
        (r.confidence, correct(r.code, gold))
        for gold, text in data
        for r in [detector.detect(text)]
    ]
    ece = 0.0
    for b in range(bins):
        inside = [(c, ok) for c, ok in pairs if min(int(c * bins), bins - 1) == b]
        if inside:
            conf = statistics.fmean(c for c, _ok in inside)
            acc = statistics.fmean(ok for _c, ok in inside)
            ece += len(inside) / len(pairs) * abs(conf - acc)
    brier = statistics.fmean((c - ok) ** 2 for c, ok in pairs)
    return {"ece": ece, "brier": brier, "mean_confidence": statistics.fmean(c for c, _ in pairs)}


def speed(detectors: dict[str, Detect], texts: list[str], runs: int) -> dict[str, float]:
    """Median texts per CPU second over ``runs``, the detectors taking turns in each run."""
    seconds: dict[str, list[float]] = {name: [] for name in detectors}
    for _ in range(runs):
        for name, detect in detectors.items():
            start = time.process_time()
            for text in texts:
                detect(text)
            seconds[name].append(time.process_time() - start)
    return {name: len(texts) / statistics.median(s) for name, s in seconds.items()}


# --- report --------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def report(result: dict[str, Any]) -> str:
    lines = [
        f"langid benchmark: {result['short_texts']} short texts, {result['pair_texts']} pairs, "
        f"{result['long_texts']} long (groups of {GROUP}), {result['runs']} runs, core "
        f"{result['core']}, machine load "
        f"{result['load_average'][0]:.1f} -> {result['load_average'][1]:.1f}",
        "",
        f"{'detector':22} {'short':>8} {'strict':>8} {'pairs':>8} {'long':>8} {'hard':>8} "
        f"{'texts/s':>9} "
        f"{'long/s':>8} "
        f"{'load s':>7} {'RSS MB':>7} {'ours/it':>7}",
    ]
    ours_speed = result["detectors"].get("ours", {}).get("texts_per_s")
    for name, row in result["detectors"].items():
        if "missing" in row:
            lines.append(f"{name:22} not installed ({row['missing']})")
            continue
        load = row.get("load", {})
        lines.append(
            f"{name:22} {_pct(row['short']['accuracy']):>8} {_pct(row['short']['strict']):>8} "
            f"{_pct(row['pairs']['accuracy']):>8} {_pct(row['long']['accuracy']):>8} "
            f"{_pct(row['hard']['accuracy']):>8} "
            f"{row['texts_per_s']:>9,.0f} "
            f"{row['long_texts_per_s']:>8,.0f} {load.get('load_s', float('nan')):>7.2f} "
            f"{load.get('rss_mb', float('nan')):>7.0f} "
            f"{(ours_speed or float('nan')) / row['texts_per_s']:>7.2f}"
        )
    ours = result["detectors"].get("ours", {})
    if "short" in ours:
        langs = ours["short"]["per_language"]
        lines += [
            "",
            "ours per language (short): " + "  ".join(f"{k} {_pct(v)}" for k, v in langs.items()),
        ]
        lines.append(f"ours calibration (short): {json.dumps(ours['calibration'])}")
    lines.append("")
    for name, row in result["detectors"].items():
        if "short" in row and row["short"]["confusions"]:
            top = list(row["short"]["confusions"].items())[:8]
            lines.append(f"{name} confusions (short): " + ", ".join(f"{k} {v}" for k, v in top))
    for name, row in result["detectors"].items():
        if "hard" in row:
            wrong = ", ".join(f"{k} {v}" for k, v in row["hard"]["confusions"].items())
            lines.append(f"{name} hard pairs: {row['hard']['errors']} wrong: {wrong}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", help="comma-separated detector names")
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only:
        _load_only(args.load_only)
        return
    core = pin_one_core()
    load_before = os.getloadavg()[0]
    short = load_eval()
    long = long_texts(short)
    names = args.only.split(",") if args.only else list(DETECTORS)
    loaded: dict[str, Detect] = {}
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            loaded[name] = DETECTORS[name]()
        except ImportError as exc:
            rows[name] = {"missing": exc.name or str(exc)}
            print(f"{name}: not installed ({exc.name})", flush=True)
    pairs = long_texts(short, PAIR)
    hard = hard_pairs()
    fast = speed(loaded, [text for _lang, text in short], args.runs)
    slow = speed(loaded, [text for _lang, text in long], max(1, args.runs // 2))
    for name, detect in loaded.items():
        rows[name] = {
            "short": score(detect, short),
            "pairs": score(detect, pairs),
            "hard": score(detect, hard, strict=True),
            "long": score(detect, long),
            "texts_per_s": fast[name],
            "long_texts_per_s": slow[name],
            "load": load_in_subprocess(name),
        }
    if "ours" in rows and "short" in rows["ours"]:
        rows["ours"]["calibration"] = calibration(short)
    result = {
        "load_average": [load_before, os.getloadavg()[0]],
        "eval": str(EVAL),
        "short_texts": len(short),
        "pair_texts": len(pairs),
        "hard_texts": len(hard),
        "long_texts": len(long),
        "runs": args.runs,
        "core": core,
        "detectors": {name: rows[name] for name in names},
    }
    print(report(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
