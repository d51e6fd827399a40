"""The deployment files, checked by the validators their ecosystems use, with no broker and no
Docker engine: hadolint (Dockerfile), check-jsonschema with its vendored compose-spec schema,
kubernetes-validate (offline Kubernetes schemas), check-jsonschema with our CRD subsets (KEDA,
Prometheus Operator), yamllint, and promtool (Prometheus config, alert rules and their unit
tests). Then what no schema knows: the contracts between these files and the worker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.services import _prometheus_binaries

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BIN = Path(sys.executable).parent
CORE_MANIFESTS = ("deployment.yaml", "service.yaml", "pdb.yaml")
CRD_MANIFESTS = {
    "scaledobject.yaml": "scaledobject.keda.sh.v1alpha1.json",
    "podmonitor.yaml": "podmonitor.monitoring.coreos.com.v1.json",
}
WEB_PORT = 6066


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a validator; a missing one fails the test (it is a dev dependency, never optional)."""
    command = [str(a) for a in argv]
    if not Path(command[0]).exists():
        pytest.fail(f"{command[0]} is not installed (dev dependency): pip install -e '.[dev]'")
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{' '.join(result.args)}\n{result.stdout}{result.stderr}"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def promtool() -> str:
    # Installs the Debian package when missing (as `make test` does), and fails if it cannot.
    return _prometheus_binaries()[1]


# --- validators -------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    ok(run(BIN / "hadolint", "--failure-threshold", "info", ROOT / "Dockerfile"))


def test_compose_file_matches_the_compose_spec() -> None:
    # The schema is vendored in check-jsonschema: nothing is fetched.
    compose = DEPLOY / "docker-compose.yml"
    ok(run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose))


def test_core_kubernetes_manifests_are_valid() -> None:
    result = run(BIN / "kubernetes-validate", "--strict", *(K8S / name for name in CORE_MANIFESTS))
    ok(result)
    # kubernetes-validate only warns about a kind it has no schema for: a wrong apiVersion on a
    # core kind would otherwise pass unchecked.
    assert "Couldn't find schema" not in result.stdout + result.stderr
    assert result.stdout.count("passed") == len(CORE_MANIFESTS), result.stdout


@pytest.mark.parametrize(("manifest", "schema"), sorted(CRD_MANIFESTS.items()))
def test_custom_resources_match_their_schemas(manifest: str, schema: str) -> None:
    schema_path = K8S / "schemas" / schema
    ok(run(BIN / "check-jsonschema", "--check-metaschema", schema_path))
    ok(run(BIN / "check-jsonschema", "--schemafile", schema_path, K8S / manifest))


def test_crd_schema_rejects_a_misspelt_kafka_setting(tmp_path: Path) -> None:
    """The CRD subsets exist to catch what the cluster would silently ignore."""
    text = (K8S / "scaledobject.yaml").read_text().replace("lagThreshold", "lagTreshold")
    broken = tmp_path / "scaledobject.yaml"
    broken.write_text(text)
    schema = K8S / "schemas" / CRD_MANIFESTS["scaledobject.yaml"]
    result = run(BIN / "check-jsonschema", "--schemafile", schema, broken)
    assert result.returncode != 0
    assert "lagTreshold" in result.stdout + result.stderr


def test_every_yaml_file_passes_yamllint() -> None:
    ok(run(BIN / "yamllint", "--strict", "-c", DEPLOY / "yamllint.yaml", DEPLOY))


def test_prometheus_config_and_rules_are_valid(promtool: str) -> None:
    # check config also checks the rule files it names (alerts.yml).
    ok(run(promtool, "check", "config", DEPLOY / "prometheus" / "prometheus.yml"))


def test_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    ok(run(promtool, "test", "rules", DEPLOY / "prometheus" / "alerts_test.yml"))


# --- contracts between the files ---------------------------------------------------------------


def runbook_anchors() -> set[str]:
    text = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_every_alert_has_annotations_and_a_runbook_section() -> None:
    anchors = runbook_anchors()
    rules = alert_rules()
    assert len(rules) >= 7
    for rule in rules:
        annotations = rule["annotations"]
        assert annotations.get("summary"), rule["alert"]
        assert annotations.get("description"), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        link = annotations["runbook_url"]
        page, _, anchor = link.partition("#")
        assert page == "docs/runbook.md", link
        assert anchor == rule["alert"].lower(), link
        assert anchor in anchors, f"docs/runbook.md has no section for {rule['alert']}"


def test_every_alert_has_a_unit_test() -> None:
    tests = load_yaml(DEPLOY / "prometheus" / "alerts_test.yml")["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alert_rules()} <= firing


def test_dockerfile_is_multi_stage_non_root_and_self_contained() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.MULTILINE)
    assert len(stages) >= 2, stages
    build, runtime = text.split(f"AS {stages[-1]}")
    assert "make kb" in build, "the KB is built in the build stage"
    assert "make embed" in build, "so is the embedding graph, by the same step as make setup"
    users = re.findall(r"^USER (\S+)", runtime, flags=re.MULTILINE)
    assert users, "the runtime stage sets a USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*?/healthz", runtime, flags=re.MULTILINE | re.DOTALL)
    # Nothing is fetched or built when a container starts.
    start = " ".join(re.findall(r"^(?:ENTRYPOINT|CMD) (.+)$", runtime, flags=re.MULTILINE))
    for word in ("pip", "curl", "wget", "make", "download", "streams.kb.build", "embed_build"):
        assert word not in start, start
    assert "WIRESTREAM_WEB_BIND=0.0.0.0" in runtime
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "streams/kb/data", "streams/core/dedupe/data"} <= set(ignored)


def test_compose_runs_kraft_kafka_two_workers_prometheus_and_grafana() -> None:
    compose = load_yaml(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    roles = set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(","))
    assert roles == {"broker", "controller"}, "KRaft: the node is its own controller"
    assert "ZOOKEEPER" not in json.dumps(kafka).upper()
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["build"]["dockerfile"] == "Dockerfile"
    assert (DEPLOY / worker["build"]["context"] / "Dockerfile").is_file()
    prometheus_mounts = {v.split(":")[0] for v in services["prometheus"]["volumes"]}
    for name in ("prometheus.yml", "alerts.yml"):
        assert f"./prometheus/{name}" in prometheus_mounts
    grafana_mounts = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    assert grafana_mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "wirestream.yml")
    assert provider["providers"][0]["options"]["path"] == grafana_mounts["./grafana/dashboards"]
    for path in list(prometheus_mounts) + list(grafana_mounts):
        if path.startswith("."):
            assert (DEPLOY / path).exists(), path


def test_grafana_datasource_is_the_one_prometheus_scrapes_with() -> None:
    sources = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    scrape = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    assert source["jsonData"]["timeInterval"] == scrape["global"]["scrape_interval"]
    (job,) = scrape["scrape_configs"]
    assert job["job_name"] == "wirestream"
    assert job["dns_sd_configs"][0]["port"] == WEB_PORT


def manifest(name: str) -> Any:
    return load_yaml(K8S / name)


def test_deployment_probes_resources_and_security() -> None:
    deployment = manifest("deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": WEB_PORT}
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}, probe
    resources = container["resources"]
    assert resources["requests"]["cpu"]
    assert resources["requests"]["memory"]
    assert resources["limits"]["memory"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["WIRESTREAM_WEB_BIND"] == "0.0.0.0"
    assert env["WIRESTREAM_WEB_PORT"] == str(WEB_PORT)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # Writable paths are volumes, since the root filesystem is read-only.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["WIRESTREAM_WORKER_DATA_DIR"] in mounts
    # The graceful stop (worker.shutdown_timeout_s = 20) must fit in the grace period.
    assert pod["terminationGracePeriodSeconds"] > 20


def test_k8s_selectors_agree() -> None:
    deployment = manifest("deployment.yaml")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "deployment": deployment["spec"]["selector"]["matchLabels"],
        "service": manifest("service.yaml")["spec"]["selector"],
        "pdb": manifest("pdb.yaml")["spec"]["selector"]["matchLabels"],
        "podmonitor": manifest("podmonitor.yaml")["spec"]["selector"]["matchLabels"],
    }
    for name, selector in selectors.items():
        assert selector.items() <= pod_labels.items(), name
    monitor = manifest("podmonitor.yaml")["spec"]
    # job="wirestream" is what the alerts and the dashboard select on.
    assert pod_labels[monitor["jobLabel"]] == "wirestream"
    assert monitor["podMetricsEndpoints"][0]["port"] == "metrics"
    assert manifest("service.yaml")["spec"]["ports"][0]["targetPort"] == "metrics"


def test_scaled_object_scales_the_deployment_on_the_consumer_group_lag() -> None:
    spec = manifest("scaledobject.yaml")["spec"]
    assert spec["scaleTargetRef"]["name"] == manifest("deployment.yaml")["metadata"]["name"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    from streams.settings import Settings

    defaults = Settings()
    assert meta["consumerGroup"] == defaults.worker.app_id
    assert meta["topic"] == defaults.topics.raw
    # More workers than raw partitions would sit idle (and never become ready).
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= defaults.topics.raw_partitions
