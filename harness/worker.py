"""Run the real ``wirestream worker`` as a subprocess, as production would, for integration."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WIRESTREAM = Path(sys.executable).parent / "wirestream"
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class WorkerProcess:
    env: dict[str, str]
    log_path: Path
    web_port: int
    proc: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, ready_timeout: float = 90.0) -> WorkerProcess:
        with self.log_path.open("ab") as handle:
            self.proc = subprocess.Popen(
                [str(WIRESTREAM), "--log-format", "json", "worker"],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready(ready_timeout)
        return self

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{self.base_url}{path}", timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.tail_log()}")
            try:
                status, body = self.get("/readyz")
                if status == 200 and json.loads(body).get("ready"):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"worker not ready after {timeout} s:\n{self.tail_log()}")

    def metrics_text(self) -> str:
        return self.get("/metrics")[1].decode()

    def samples(self, name: str) -> list[tuple[dict[str, str], float]]:
        """Every sample of ``name`` on /metrics, with its labels."""
        found = []
        for line in self.metrics_text().splitlines():
            series, _, value = line.rpartition(" ")
            if series == name or series.startswith(f"{name}{{"):
                found.append((dict(_LABEL.findall(series)), float(value)))
        return found

    def partitions(self, topic: str) -> set[int]:
        """The partitions of ``topic`` this worker consumes, as its per-partition gauges show
        them (sampled every ``worker.lag_poll_interval_s``)."""
        gauge = "wirestream_committed_offset_age_seconds"
        return {int(s["partition"]) for s, _ in self.samples(gauge) if s["topic"] == topic}

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The worker's JSON log lines whose ``event`` is ``event``."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if f'"{event}"' in line and line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == event:
                    found.append(record)
        return found

    def scrape(self) -> dict[str, float]:
        """Every sample on /metrics from one scrape, by series (``name{label="value",...}``):
        values read together are consistent with each other."""
        values = {}
        for line in self.metrics_text().splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                values[series] = float(value)
        return values

    def metric(self, name: str, **labels: str) -> float:
        """The current value of one sample on /metrics (0 when absent)."""
        return self.scrape().get(series_name(name, **labels), 0.0)

    def wait_metric(
        self, name: str, at_least: float, timeout: float = 60.0, **labels: str
    ) -> float:
        deadline = time.monotonic() + timeout
        value = 0.0
        while time.monotonic() < deadline:
            value = self.metric(name, **labels)
            if value >= at_least:
                return value
            time.sleep(0.25)
        raise AssertionError(f"{name}{labels} = {value}, wanted >= {at_least}\n{self.tail_log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code (killed, and an error, if it hangs)."""
        if self.proc is None:
            return 0
        if not terminate(self.proc, timeout):
            raise subprocess.TimeoutExpired(self.proc.args, timeout)
        return self.proc.returncode

    def tail_log(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def series_name(name: str, **labels: str) -> str:
    """A sample's series as /metrics writes it, labels in sorted order."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{want}}}" if want else name


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """SIGTERM ``proc`` and wait up to ``timeout`` s; kill it if it is still there. True when it
    ended by itself (or had already)."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return False
    return True
