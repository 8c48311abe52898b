"""A dashboard or API task may manage webhooks (TASK_SCOPES "webhooks", as README and the
webhook-management skill say); a webhook task, started by a stranger's text, may not; and no
task reads the deliveries, whose bodies are strangers' text."""

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.main import app
from app.tasks.models import Task, TaskStatus
from app.tokens import issue_task_token
from tests.support.processes import migrate


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    migrate(dict(os.environ))
    with TestClient(app) as test_client:
        yield test_client


def token_of(source: str) -> dict[str, str]:
    with session_scope() as db:
        task = Task(prompt="p", session_id="s", status=TaskStatus.RUNNING, source=source)
        db.add(task)
    return {"Authorization": f"Bearer {issue_task_token(task.id)}"}


def test_a_dashboard_task_manages_webhooks_a_webhook_task_may_not(client: TestClient) -> None:
    dashboard, api, webhook = token_of("chat"), token_of("api"), token_of("webhook:github")
    made = client.post(
        "/api/webhooks",
        json={"name": "by-a-task", "provider": "jira", "secret": "s"},
        headers=dashboard,
    )
    assert made.status_code == 201, made.text
    hook = made.json()["id"]
    assert client.get("/api/webhooks", headers=dashboard).status_code == 200
    assert client.get(f"/api/webhooks/{hook}", headers=api).status_code == 200
    assert client.get("/api/webhooks/templates", headers=api).status_code == 200
    patched = client.patch(f"/api/webhooks/{hook}", json={"enabled": False}, headers=dashboard)
    assert patched.status_code == 200 and patched.json()["enabled"] is False

    for method, path in [
        ("GET", "/api/webhooks"),
        ("GET", f"/api/webhooks/{hook}"),
        ("PATCH", f"/api/webhooks/{hook}"),
        ("DELETE", f"/api/webhooks/{hook}"),
        ("POST", "/api/webhooks/templates/jira-sync"),
    ]:
        refused = client.request(method, path, json={}, headers=webhook)
        assert refused.status_code == 403, (method, path, refused.text)
    for path in ("/api/webhooks/deliveries", "/api/webhooks/deliveries/x1"):
        assert client.get(path, headers=dashboard).status_code == 403, path
    assert client.delete(f"/api/webhooks/{hook}", headers=dashboard).status_code == 204
