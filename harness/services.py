"""Real local services for integration tests: Apache Kafka (KRaft) and Prometheus.

Both are provisioned by the project's own scripts (deploy/kafka/kafka.sh,
deploy/prometheus/install.sh), so tests run against exactly what `make run`
uses. A service that cannot start raises ServiceError carrying the script's or
server's output: integration tests fail loudly, they are never skipped.
Stdlib only, so fixtures can import this before the app (and faust) loads.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
KAFKA_SCRIPT = ROOT / "deploy" / "kafka" / "kafka.sh"
PROMETHEUS_INSTALL = ROOT / "deploy" / "prometheus" / "install.sh"

# A cold start includes fetching ~45 MB of jars from Maven Central; a warm one takes ~5 s.
KAFKA_START_TIMEOUT_S = 600.0
# kafka.sh itself escalates to SIGKILL after 20 s; this only guards against a hung script.
KAFKA_STOP_TIMEOUT_S = 60.0
PROMETHEUS_INSTALL_TIMEOUT_S = 900.0
PROMETHEUS_READY_TIMEOUT_S = 30.0
PROMETHEUS_STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 40

PrometheusResult = list[dict[str, Any]]


class ServiceError(RuntimeError):
    """A local service could not be started, queried or stopped."""


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now.

    Inherently racy (another process may take it before the service binds); the
    start helpers report a lost race as a ServiceError with the bind error in it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_port_except(*taken: int) -> int:
    # The kernel may hand back a port it just gave us once we closed the socket.
    while (port := free_port()) in taken:
        pass
    return port


def _run(
    command: list[str], env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stderr) + _text(exc.stdout)
        raise ServiceError(
            f"{' '.join(command)} timed out after {timeout:.0f} s\n{output}"
        ) from exc


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


class StoppedOnExit:
    """A service that ``with`` stops on the way out, whatever happened inside."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class KafkaBroker(StoppedOnExit):
    """A broker started by ``kafka.sh start``; ``stop()`` is idempotent."""

    def __init__(
        self, port: int, controller_port: int, state_dir: Path, env: Mapping[str, str]
    ) -> None:
        self.port = port
        self.controller_port = controller_port
        self.state_dir = state_dir
        # Where clients connect: the broker, or the proxy in front of it (KAFKA_ADVERTISED_PORT).
        self.bootstrap = f"127.0.0.1:{env.get('KAFKA_ADVERTISED_PORT', port)}"
        self._env = dict(env)
        self._stopped = False

    @property
    def log_path(self) -> Path:
        return self.state_dir / "logs" / "server.log"

    def start(self, *, keep_data: bool = False) -> None:
        """Start the broker: fresh, or (``keep_data``) again on the data of its last run, as
        after an outage."""
        env = {**self._env, "KAFKA_KEEP_DATA": "1" if keep_data else "0"}
        try:
            result = _run([str(KAFKA_SCRIPT), "start"], env, KAFKA_START_TIMEOUT_S)
        except ServiceError:
            # The script was killed mid-start; the JVM it launched may still be booting.
            self._stopped = False
            self.stop()
            raise
        self._stopped = False
        if result.returncode != 0:
            raise ServiceError(
                f"kafka.sh start failed (exit {result.returncode}):\n{result.stderr}{result.stdout}"
            )

    def stop(self) -> None:
        if self._stopped:
            return
        result = _run([str(KAFKA_SCRIPT), "stop"], self._env, KAFKA_STOP_TIMEOUT_S)
        if result.returncode != 0:
            raise ServiceError(
                f"kafka.sh stop failed (exit {result.returncode}):\n{result.stderr}{result.stdout}"
            )
        self._stopped = True

    def __repr__(self) -> str:
        return f"KafkaBroker(bootstrap={self.bootstrap!r}, state_dir={str(self.state_dir)!r})"


def start_kafka(
    state_dir: Path,
    port: int | None = None,
    *,
    advertised_port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> KafkaBroker:
    """Start a fresh single-node broker whose data lives in ``state_dir``.

    ``state_dir`` is wiped first, so give each broker its own directory (an empty
    ``tmp_path_factory.mktemp(...)`` is ideal); kafka.sh refuses to wipe a
    non-empty directory it did not create. ``advertised_port``: the port clients are
    told to use, where a proxy (harness.proxy) relays to ``port``. ``extra_env``: more
    kafka.sh settings, such as its SASL_SSL mode (harness.secure_kafka).
    """
    port = free_port() if port is None else port
    # Never the default 9093: parallel sessions each need their own controller port.
    controller_port = _free_port_except(port)
    state_dir = state_dir.resolve()
    env = {
        **os.environ,
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller_port),
        "KAFKA_STATE_DIR": str(state_dir),
        # A developer's exported KAFKA_KEEP_DATA=1 must not leak old topics into tests.
        "KAFKA_KEEP_DATA": "0",
        # Likewise an exported KAFKA_SECURITY: plaintext unless the caller asks.
        "KAFKA_SECURITY": "plaintext",
        **(extra_env or {}),
    }
    if advertised_port is not None:
        env["KAFKA_ADVERTISED_PORT"] = str(advertised_port)
        env["KAFKA_INTERNAL_PORT"] = str(_free_port_except(port, controller_port))
    broker = KafkaBroker(port, controller_port, state_dir, env)
    broker.start()
    return broker


def _prometheus_binaries() -> tuple[str, str]:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus and promtool:
        return prometheus, promtool
    result = _run([str(PROMETHEUS_INSTALL)], os.environ, PROMETHEUS_INSTALL_TIMEOUT_S)
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if result.returncode != 0 or not (prometheus and promtool):
        raise ServiceError(
            f"deploy/prometheus/install.sh failed (exit {result.returncode}):\n"
            f"{result.stderr}{result.stdout}"
        )
    return prometheus, promtool


class PrometheusServer(StoppedOnExit):
    """A Prometheus child process with helpers for the HTTP query API; ``stop()`` is idempotent."""

    def __init__(self, port: int, state_dir: Path, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.state_dir = state_dir
        self.url = f"http://127.0.0.1:{port}"
        self._process = process

    @property
    def log_path(self) -> Path:
        return self.state_dir / "prometheus.log"

    def query(self, expr: str) -> PrometheusResult:
        """Evaluate an instant query now and return ``data.result``."""
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            # Prometheus answers a bad expression with 400 and a JSON error body.
            detail = exc.read().decode(errors="replace")
            raise ServiceError(f"query {expr!r} failed: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceError(f"query {expr!r} failed: {exc}\n{_tail(self.log_path)}") from exc
        if body.get("status") != "success":
            raise ServiceError(f"query {expr!r} failed: {body}")
        return list(body["data"]["result"])

    def wait_for(
        self,
        expr: str,
        predicate: Callable[[PrometheusResult], bool],
        timeout: float = 30.0,
        interval: float = 0.5,
    ) -> PrometheusResult:
        """Re-run ``expr`` until ``predicate(result)`` holds; return that result.

        Raises TimeoutError with the last result, which is usually what explains the failure.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if predicate(result):
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{expr!r} did not satisfy the predicate within {timeout} s; "
                    f"last result: {result!r}"
                )
            time.sleep(interval)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServiceError(
                    f"prometheus exited with {self._process.returncode} during startup:\n"
                    f"{_tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                # Refused until the listener is up, then 503 until the TSDB is open.
                pass
            time.sleep(0.1)
        raise ServiceError(f"prometheus not ready within {timeout} s:\n{_tail(self.log_path)}")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=PROMETHEUS_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __repr__(self) -> str:
        return f"PrometheusServer(url={self.url!r}, state_dir={str(self.state_dir)!r})"


def start_prometheus(
    state_dir: Path,
    scrape_targets: list[str],
    scrape_interval: str = "1s",
    port: int | None = None,
) -> PrometheusServer:
    """Start Prometheus scraping ``host:port`` targets at ``/metrics`` as job ``wirestream``."""
    prometheus, promtool = _prometheus_binaries()
    port = free_port() if port is None else port
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    tsdb = state_dir / "tsdb"
    # Samples left by an earlier run would satisfy wait_for() before the new target is scraped.
    shutil.rmtree(tsdb, ignore_errors=True)

    # Prometheus rejects scrape_timeout > scrape_interval, and its 10 s default timeout
    # exceeds the short intervals tests use.
    timing = {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval}
    config = {
        "global": {**timing, "evaluation_interval": scrape_interval},
        "scrape_configs": [
            {
                "job_name": "wirestream",
                "metrics_path": "/metrics",
                **timing,
                "static_configs": [{"targets": list(scrape_targets)}],
            }
        ],
    }
    config_path = state_dir / "prometheus.yml"
    # JSON is valid YAML, and json.dumps quotes every value correctly without a YAML dependency.
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    check = _run([promtool, "check", "config", str(config_path)], os.environ, 30.0)
    if check.returncode != 0:
        raise ServiceError(f"promtool rejected {config_path}:\n{check.stdout}{check.stderr}")

    log_path = state_dir / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={tsdb}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            cwd=state_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(port, state_dir, process)
    try:
        server._wait_ready(PROMETHEUS_READY_TIMEOUT_S)
    except BaseException:
        server.stop()
        raise
    return server
