"""The Kubernetes manifests (deploy/kubernetes) against the Kubernetes API schemas, offline.

kubernetes-validate ships the API's JSON schemas per Kubernetes version inside its wheel; the strict
ones refuse unknown fields. Then what a schema cannot see: references between objects, probes on the
server's real health routes and port, settings the server accepts, commands that parse.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.deploy.checks import DEPLOY, command_problems, option_value, settings_problems

K8S = DEPLOY / "kubernetes"
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
# In the folder but not applied by the kustomization (templates and one-off jobs).
NOT_APPLIED = {"secret.example.yaml", "db-upgrade-job.yaml"}


def _documents() -> dict[str, dict]:
    """file name -> its object (one object per file)."""
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            (docs[path.name],) = list(yaml.safe_load_all(path.read_text()))
    return docs


def _by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in _documents().values() if d["kind"] == kind}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_matches_the_strict_api_schema(version):
    for name, doc in _documents().items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} ({version}): {exc.message} at {'/'.join(map(str, exc.path))}")


def test_the_strict_schema_does_refuse_a_misspelt_field():
    server = copy.deepcopy(_by_kind("Deployment")["openreg-server"])
    container = server["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(server, VERSIONS[0], strict=True)


def test_the_kustomization_lists_every_manifest_it_applies():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == set(_documents()) - NOT_APPLIED


def _containers() -> dict[str, tuple[dict, dict]]:
    """file:container -> (its object, the container), init containers included."""
    found = {}
    for name, doc in _documents().items():
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            for container in pod.get("initContainers", []) + pod["containers"]:
                found[f"{name}:{container['name']}"] = (doc, container)
    return found


def test_every_container_is_bounded_unprivileged_and_runs_a_real_command(tmp_path):
    config = _by_kind("ConfigMap")["openreg-config"]["data"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    env = {**config, **secret["stringData"]}
    assert not settings_problems(env, tmp_path)
    for where, (doc, container) in _containers().items():
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(
            resources["limits"]
        )
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert not command_problems(container["args"], env), where
        refs = {
            next(iter(k for k in ref if k.endswith("Ref"))): next(iter(ref.values()))["name"]
            for ref in container["envFrom"]
        }
        assert refs == {"configMapRef": "openreg-config", "secretRef": secret["metadata"]["name"]}
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert mounts["data"] == config["OPENREG_DATA"]
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] in _by_kind("PersistentVolumeClaim")


def test_the_server_is_probed_on_its_health_routes_and_port():
    server = _by_kind("Deployment")["openreg-server"]
    (container,) = server["spec"]["template"]["spec"]["containers"]
    port = int(option_value(container["args"], "--port"))
    (named,) = container["ports"]
    assert named["containerPort"] == port
    assert option_value(container["args"], "--host") == "0.0.0.0"
    assert option_value(container["args"], "--workers") == "0"
    probes = {
        kind: container[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["livenessProbe"]["path"] == "/health/live"
    assert probes["startupProbe"]["path"] == "/health/live"
    assert probes["readinessProbe"]["path"] == "/health/ready"
    assert {p["port"] for p in probes.values()} == {named["name"]}


def test_the_worker_runs_the_worker_command_once_the_schema_is_current():
    worker = _by_kind("Deployment")["openreg-worker"]
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "worker"
    (wait,) = worker["spec"]["template"]["spec"]["initContainers"]
    assert wait["args"] == ["admin", "db", "current"]
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30


def test_service_ingress_and_network_policy_reach_the_server_pods():
    server = _by_kind("Deployment")["openreg-server"]
    labels = server["spec"]["template"]["metadata"]["labels"]
    assert server["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = _by_kind("Service")["openreg-server"]
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in server["spec"]["template"]["spec"]["containers"][0]["ports"]}
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] in port_names
    ingress = _by_kind("Ingress")["openreg"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "openreg-server" and backend["port"]["name"] == service_port["name"]
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    public_url = _by_kind("ConfigMap")["openreg-config"]["data"]["OPENREG_SERVER_PUBLIC_URL"]
    assert public_url == f"https://{ingress['spec']['rules'][0]['host']}"
    policy = _by_kind("NetworkPolicy")["openreg-server"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()


def test_kubectl_builds_the_kustomization_where_kubectl_exists():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    done = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    built = list(yaml.safe_load_all(done.stdout))
    assert {d["kind"] for d in built} >= {"Deployment", "Service", "Ingress", "PersistentVolumeClaim"}
    for doc in built:
        assert doc["metadata"].get("namespace", "openreg") == "openreg"
        kubernetes_validate.validate(doc, VERSIONS[0], strict=True)
    images = {
        c["image"]
        for d in built
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert len(images) == 1 and Path(next(iter(images))).name.startswith("openreg-server:")
