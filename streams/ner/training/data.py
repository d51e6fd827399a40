"""Where a language's training data is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def data_files(
    language: str, data: Path, extra: Sequence[str], *, use_dev: bool
) -> tuple[list[Path], Path | None]:
    """The training files, and the dev file to score on when the model does not learn from it."""
    folder = data / "ner" / language
    if (folder / "train.conll").exists():
        files = [folder / "train.conll", *(extra_file(data, name) for name in extra)]
        missing = [f for f in files if not f.exists()]
        if missing:
            raise SystemExit(f"no training data: {', '.join(map(str, missing))} missing")
        dev = folder / "dev.conll"
        if use_dev:
            return [*files, dev], None
        return files, dev if dev.exists() else None
    files = [data / f"ner_{language}_train.conll"]
    if use_dev:
        files.append(data / f"ner_{language}_dev.conll")
    files = [f for f in files if f.exists()]
    if not files:
        raise SystemExit(f"no training data: {data}/ner_{language}_train.conll is missing")
    return files, None


def extra_file(data: Path, name: str) -> Path:
    """The training split of another set: ``ner/<name>/train.conll``, or for English and Arabic,
    whose sets keep the older layout, ``ner_<name>_train.conll``."""
    folder = data / "ner" / name / "train.conll"
    older = data / f"ner_{name}_train.conll"
    return older if not folder.exists() and older.exists() else folder


def file_name(path: Path) -> str:
    """``ner/de/train.conll`` in the new layout, the bare name in the old."""
    return "/".join(path.parts[-3:]) if path.parent.parent.name == "ner" else path.name
