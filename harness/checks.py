"""Small checks shared by unit and integration tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assert_promtool_clean(promtool: str, exposition: bytes) -> None:
    """``promtool check metrics`` accepts the exposition with nothing to say (no lint)."""
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert output.strip() == "", output


def git_head() -> str:
    """The checkout's commit, as ``wirestream_build_info`` reports it."""
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
