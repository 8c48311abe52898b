"""deploy/k8s/: every core resource passes the Kubernetes schemas (kubernetes-validate, strict:
no unknown field); KEDA's resources pass the models generated from KEDA's CRDs
(cloudcoil-models-keda); and the values that tie them to the system are the system's."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda import v1alpha1 as keda

from app.config import Settings
from tests.support.processes import ROOT

K8S = ROOT / "deploy" / "k8s"
KEDA_KINDS = {
    "ScaledObject": keda.ScaledObject,
    "TriggerAuthentication": keda.TriggerAuthentication,
}


def _resources() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


RESOURCES = _resources()


def _named(kind: str, name: str) -> dict[str, Any]:
    matches = [
        doc for _, doc in RESOURCES if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(matches) == 1, (kind, name)
    return matches[0]


@pytest.mark.parametrize(
    "resource",
    [doc for _, doc in RESOURCES if doc["kind"] not in KEDA_KINDS],
    ids=lambda doc: f"{doc['kind']}/{doc['metadata']['name']}",
)
def test_core_resources_pass_the_kubernetes_schemas(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def _round_trip(model: Any, document: dict[str, Any]) -> dict[str, Any]:
    """What the CRD's model keeps of the document: a field it does not know is dropped."""
    return dict(model.model_validate(document).model_dump(by_alias=True, exclude_unset=True))


@pytest.mark.parametrize("kind", sorted(KEDA_KINDS))
def test_keda_resources_pass_the_crd_models(kind: str) -> None:
    documents = [doc for _, doc in RESOURCES if doc["kind"] == kind]
    assert documents
    for document in documents:
        assert _round_trip(KEDA_KINDS[kind], document) == document


def test_the_crd_check_refuses_an_unknown_field() -> None:
    scaled = _named("ScaledObject", "ccagent-worker")
    wrong = {**scaled, "spec": {**scaled["spec"], "minReplicas": 1}}
    assert _round_trip(keda.ScaledObject, wrong) != wrong


def test_keda_scales_the_worker_on_the_celery_queue_and_the_running_tasks() -> None:
    """Trigger metadata is free text in KEDA's CRD: its keys are checked here, by name, against
    KEDA's redis and metrics-api scalers and this system's settings."""
    fields = Settings.model_fields
    per_worker = str(fields["MAX_CONCURRENT_TASKS"].default)
    scaled = _named("ScaledObject", "ccagent-worker")["spec"]
    assert (
        scaled["scaleTargetRef"]["name"]
        == _named("Deployment", "ccagent-worker")["metadata"]["name"]
    )
    redis, running = scaled["triggers"]
    assert redis["type"] == "redis"
    assert set(redis["metadata"]) <= {
        "address",
        "databaseIndex",
        "listName",
        "listLength",
        "activationListLength",
    }
    assert redis["metadata"]["listName"] == fields["CELERY_QUEUE"].default
    assert redis["metadata"]["listLength"] == per_worker
    service = _named("Service", "ccagent-redis")
    assert (
        redis["metadata"]["address"]
        == f"{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    )

    assert running["type"] == "metrics-api"
    assert set(running["metadata"]) == {"url", "valueLocation", "targetValue", "authMode"}
    assert running["metadata"]["url"].endswith("/api/status")
    assert running["metadata"]["valueLocation"] == "active_tasks"  # a field of /api/status
    assert running["metadata"]["targetValue"] == per_worker
    auth = _named("TriggerAuthentication", running["authenticationRef"]["name"])["spec"]
    assert auth["secretTargetRef"] == [
        {"parameter": "token", "name": "ccagent", "key": "API_TOKEN"}
    ]


def _pod(name: str) -> dict[str, Any]:
    return dict(_named("Deployment", name)["spec"]["template"]["spec"])


def test_the_worker_outlasts_its_stop_grace_and_may_run_the_sandbox() -> None:
    pod = _pod("ccagent-worker")
    stop_grace_max = next(
        m.le for m in Settings.model_fields["STOP_GRACE_SECONDS"].metadata if hasattr(m, "le")
    )
    assert pod["terminationGracePeriodSeconds"] > stop_grace_max
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert pod["hostUsers"] is False and security["procMount"] == "Unmasked"
    assert security["seccompProfile"]["type"] == "Unconfined"
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == [
        "ALL"
    ]
    assert pod["securityContext"]["runAsNonRoot"] is True
    # about 300 MiB per CLI run, MAX_CONCURRENT_TASKS of them
    runs = Settings.model_fields["MAX_CONCURRENT_TASKS"].default
    assert int(container["resources"]["requests"]["memory"].removesuffix("Mi")) >= 300 * runs


def test_every_env_name_the_pods_set_is_a_setting() -> None:
    for _, doc in RESOURCES:
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            names = {item["name"] for item in container.get("env", [])}
            assert names <= set(Settings.model_fields), (doc["metadata"]["name"], names)
            if container["image"].startswith("ccagent-"):
                assert container["envFrom"] == [{"secretRef": {"name": "ccagent"}}]
                # the pod's own paths win over whatever the .env behind the Secret says
                env = {item["name"]: item["value"] for item in container["env"]}
                assert env["DATA_DIR"] == "/data" and env["CLI_HOME"] == env["AGENTS_DIR"] == ""
