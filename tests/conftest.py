"""Shared fixtures: paths to the project's samples and to ../shared (read at test time only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Machines here are shared and noisy: timing-based health checks and deadlines would make property
# tests flaky without making them any stronger.
settings.register_profile(
    "wirestream", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("wirestream")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_ae7e2c79b1dce607.txt"
SAMPLE_FEED = ROOT / "config" / "samples" / "wire-feed.jsonl"


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    if not SEED.exists():
        pytest.fail(f"the seed wire item is missing: {SEED} (../shared must sit beside the repo)")
    return SEED.read_bytes()


@pytest.fixture(scope="session")
def sample_lines() -> list[bytes]:
    return [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip()]
