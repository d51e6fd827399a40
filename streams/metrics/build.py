"""Which commit the running worker was built from (``wirestream_build_info``)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

_GIT_TIMEOUT_S = 2.0
# Written next to the package at image build time (see Dockerfile), where there is no .git.
BUILD_COMMIT_FILE = Path(__file__).resolve().parent.parent / "BUILD_COMMIT"


@functools.cache
def build_commit() -> str:
    """The git commit the worker was built from: the file the image build writes, else
    ``git rev-parse`` in a source checkout, else ``unknown``. Never reads the environment."""
    try:
        recorded = BUILD_COMMIT_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if recorded:
        return recorded[:40]
    root = BUILD_COMMIT_FILE.parent.parent
    git = shutil.which("git")
    # Only a checkout of this project: an installed package must not report whatever repository
    # happens to enclose site-packages.
    if git is None or not (root / ".git").exists():
        return "unknown"
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell, our own checkout
            [git, "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else "unknown"
