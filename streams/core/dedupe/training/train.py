"""Fit the story score: ``python -m streams.core.dedupe.training.train`` (``make train-story``).

Reads the rated pairs of ``../shared/eval`` (:data:`streams.core.dedupe.training.pairs.FILES`),
prepares their articles with the real pipeline (normalize, langid, entities, fingerprint with the
USE embedding), and measures every pair as the dedupe stage does. Then:

1. cross-validates, 5 x 5 folds grouped by article (seeded), the story model beside two anchors
   (the plain USE cosine and the word-3-shingle Jaccard), each with its threshold chosen on the
   training folds (:func:`streams.core.dedupe.training.fit.choose_threshold`), and prints the table;
2. fits the two shipped models (with and without the word features) and the threshold on all
   pairs, and writes them with the table to ``streams/core/dedupe/story.json``.

Nothing is random but the fold assignment, which is seeded: the same data, packages and KB give
the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from streams.core.dedupe.story import FEATURES, PARAMS_PATH, WORD_FEATURES, StoryModel
from streams.core.dedupe.training.fit import (
    FOLDS,
    MAX_DIFFERENT_JOINED,
    REPEATS,
    SEED,
    Method,
    Scorer,
    Summary,
    choose_threshold,
    cross_validate,
    fit_story,
    summarise,
)
from streams.core.dedupe.training.pairs import EVAL_DIR, FILES, Measured, load_pairs, measure

NO_WORDS = tuple(f for f in FEATURES if f not in WORD_FEATURES)
COLUMNS = ("pearson", "auc", "same_joined", "different_joined")


def _story_method(name: str, features: Sequence[str]) -> Method:
    def fit(train: Sequence[Measured]) -> tuple[Scorer, Scorer]:
        model = fit_story(train, features)

        def story(m: Measured) -> float:
            return model.score(m.features)

        def similarity(m: Measured) -> float:
            return max(m.jaccard, story(m))  # what `wirestream similarity` prints

        return similarity, story

    return Method(name, fit, stage=True)


def _anchor(name: str, attribute: str) -> Method:
    def fit(_train: Sequence[Measured]) -> tuple[Scorer, Scorer]:
        def score(m: Measured) -> float:
            return float(getattr(m, attribute))

        return score, score

    return Method(name, fit)


METHODS = (
    _story_method("wirestream similarity", FEATURES),
    _story_method("  with version-1 fingerprints (no word MinHash)", NO_WORDS),
    _anchor("anchor: USE cosine, title + lead", "use_cosine"),
    _anchor("anchor: word-3-shingle Jaccard", "shingle_jaccard"),
)


def evaluate(measured: Sequence[Measured]) -> dict[str, dict[str, dict[str, Summary]]]:
    """method -> file -> metric -> summary, cross-validated."""
    files = sorted({m.pair.file for m in measured})
    table: dict[str, dict[str, dict[str, Summary]]] = {}
    for method in METHODS:
        outcomes = cross_validate(measured, method)
        table[method.name] = {f: summarise(outcomes, f) for f in files}
    return table


TRADE_OFF = (0.01, 0.02, 0.05, 0.10, 0.15)


def trade_off(measured: Sequence[Measured]) -> list[dict[str, float]]:
    """What the threshold rule costs on each side: held-out rates of the stage at other bounds
    on the different training pairs joined (mean over repeats, the two files pooled per file)."""
    rows: list[dict[str, float]] = []
    for bound in TRADE_OFF:
        outcomes = cross_validate(measured, METHODS[0], max_different_joined=bound)
        row = {"bound": bound}
        for file in sorted({m.pair.file for m in measured}):
            summary = summarise(outcomes, file)
            row[f"{file}:same_joined"] = summary["same_joined"].mean
            row[f"{file}:different_joined"] = summary["different_joined"].mean
        rows.append(row)
    return rows


def format_trade_off(rows: Sequence[dict[str, float]]) -> str:
    files = sorted({k.split(":")[0] for row in rows for k in row if ":" in k})
    lines = [
        "\ntrade-off of the threshold rule (wirestream, held-out, mean over repeats): "
        "bound on different training pairs joined -> same joined / different joined, per file"
    ]
    for row in rows:
        cells = "   ".join(
            f"{f}: {100 * row[f + ':same_joined']:.1f}% / {100 * row[f + ':different_joined']:.1f}%"
            for f in files
        )
        lines.append(f"  <= {100 * row['bound']:4.1f}%   {cells}")
    return "\n".join(lines)


def format_table(
    table: dict[str, dict[str, dict[str, Summary]]], measured: Sequence[Measured]
) -> str:
    lines = []
    for file in sorted({m.pair.file for m in measured}):
        mine = [m for m in measured if m.pair.file == file]
        same = sum(m.pair.same for m in mine)
        different = sum(m.pair.different for m in mine)
        lines.append(
            f"\n{file}: {len(mine)} pairs ({same} same story <= 1.5, {different} different "
            f">= 3.5); {REPEATS}x{FOLDS} folds grouped by article; held-out value (mean over "
            "repeats) +- s.d. over the 25 test folds"
        )
        lines.append(
            f"{'method':48s} {'Pearson':>14s} {'AUC':>14s} {'same joined':>14s} "
            f"{'diff. joined':>14s}"
        )
        for name, per_file in table.items():
            row = per_file[file]
            cells = []
            for key in COLUMNS:
                scale = 100.0 if key.endswith("joined") else 1.0
                digits = 1 if scale == 100.0 else 3
                s = row[key]
                sd = "" if math.isnan(s.fold_sd) else f"+-{s.fold_sd * scale:.{digits}f}"
                cells.append(f"{s.mean * scale:.{digits}f}{sd}".rjust(14))
            lines.append(f"{name:48s} " + " ".join(cells))
    lines.append(
        "same joined / diff. joined: % of same-story / different pairs whose b ends in a's story "
        f"(threshold chosen on the training folds: <= {MAX_DIFFERENT_JOINED:.0%} of different "
        "training pairs joined); wirestream's include blocking and near-duplicates"
    )
    return "\n".join(lines)


def table_json(table: dict[str, dict[str, dict[str, Summary]]]) -> dict[str, Any]:
    return {
        name: {
            file: {k: [round(s.mean, 4), round(s.fold_sd, 4)] for k, s in row.items()}
            for file, row in per_file.items()
        }
        for name, per_file in table.items()
    }


def fit_all(measured: Sequence[Measured]) -> dict[str, Any]:
    """The shipped parameters: both models and the threshold, fitted on every pair."""
    full = fit_story(measured, FEATURES)
    no_words = fit_story(measured, NO_WORDS)
    story_at = choose_threshold(measured, [full.score(m.features) for m in measured], stage=True)
    return {"full": _rounded(full), "no_words": _rounded(no_words), "story_at": round(story_at, 4)}


def _rounded(model: StoryModel) -> dict[str, Any]:
    data = model.to_json()
    data["coef"] = [round(c, 5) for c in model.coef]
    data["intercept"] = round(model.intercept, 5)
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=PARAMS_PATH)
    args = parser.parse_args(argv)
    from streams.core.pipeline import Pipeline
    from streams.settings import Settings

    pairs = load_pairs(args.eval_dir)
    print(f"measuring {len(pairs)} pairs ...", file=sys.stderr)
    measured = measure(Pipeline.from_settings(Settings(), {}), pairs)
    table = evaluate(measured)
    print(format_table(table, measured))
    params = fit_all(measured)
    params["trained_on"] = {
        name: {
            "pairs": sum(m.pair.file == name for m in measured),
            "sha256": hashlib.sha256((args.eval_dir / name).read_bytes()).hexdigest(),
        }
        for name in FILES
    }
    params["cv"] = {
        "repeats": REPEATS,
        "folds": FOLDS,
        "seed": SEED,
        "max_different_joined": MAX_DIFFERENT_JOINED,
        "table": table_json(table),
    }
    args.out.write_bytes(orjson.dumps(params, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"\nwritten: {args.out} (story_at {params['story_at']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
