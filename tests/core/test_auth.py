"""Default deny, walked over every route the app serves: one place decides who may call what."""

import os
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from app.auth import PUBLIC, TASK_SCOPES, route_table
from app.db import session_scope
from app.main import app
from app.tasks.models import Task, TaskStatus
from app.tokens import issue_task_token, issue_ticket
from tests.support.processes import migrate

ADMIN = {"Authorization": f"Bearer {os.environ['API_TOKEN']}"}
# Routes anyone may call. Adding one here is a decision: say what authenticates its caller.
EXPECTED_PUBLIC = {
    "/api/health",  # load balancers
    "/openapi.json",  # the schema holds no secret; /docs needs it
    "/docs",
    "/docs-assets/{path}",  # Swagger UI's files
    "/api/dashboard/sign-in",  # says whether a token is right: no more than any 401 says
}
# What a task token may call, and with which scope.
EXPECTED_TASK_ROUTES = {
    ("GET", "/api/tasks/{task_id}"): "self",
    ("GET", "/api/tasks/{task_id}/output"): "self",
    ("GET", "/api/conversations/{conversation_id}"): "self",
    ("GET", "/api/conversations/{conversation_id}/messages"): "self",
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    migrate(dict(os.environ))
    with TestClient(app) as test_client:
        yield test_client


def _routes() -> list[tuple[str, str, str | None]]:
    """(method, path template, access) of every HTTP route; WebSockets as method 'WS'."""
    found = []
    for route, access in route_table(app):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        methods = getattr(route, "methods", None) or {"WS"}
        found += [(method, path, access) for method in methods if method != "HEAD"]
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _task(status: TaskStatus, source: str = "api", conversation_id: str | None = None) -> Task:
    with session_scope() as db:
        task = Task(prompt="p", session_id="s", status=status, source=source)
        task.conversation_id = conversation_id
        db.add(task)
    return task


def test_public_routes_are_only_the_declared_ones() -> None:
    public = {path for _method, path, access in _routes() if access == PUBLIC}
    webhooks = {path for path in public if path.startswith("/webhooks/")}
    dashboard = {p for p in public if not p.startswith(("/api", "/ws", "/docs", "/openapi"))}
    assert public - webhooks - dashboard == EXPECTED_PUBLIC


def test_every_other_route_refuses_a_caller_without_a_token(client: TestClient) -> None:
    checked = 0
    for method, path, access in _routes():
        if access == PUBLIC:
            continue
        if method == "WS":
            with (
                pytest.raises(WebSocketDenialResponse) as denied,
                client.websocket_connect(_concrete(path)),
            ):
                pass
            assert denied.value.status_code == 401, path
        else:
            response = client.request(method, _concrete(path), json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["detail"].startswith("Missing bearer token")
        checked += 1
    assert checked >= 20


def test_unknown_paths_are_closed_too(client: TestClient) -> None:
    assert client.get("/api/no-such-thing").status_code == 401
    assert client.get("/api/no-such-thing", headers=ADMIN).status_code == 404


def test_a_task_token_reaches_only_its_declared_routes(client: TestClient) -> None:
    task = _task(TaskStatus.RUNNING, source="webhook:github")
    headers = {"Authorization": f"Bearer {issue_task_token(task.id)}"}
    for method, path, access in _routes():
        if access == PUBLIC or method == "WS":
            continue
        response = client.request(method, _concrete(path), json={}, headers=headers)
        allowed = access is not None and access in TASK_SCOPES["webhook"]
        refused_by_route = response.status_code == 403 and response.json()["detail"] == (
            "A task token may not call this route"
        )
        assert refused_by_route != allowed, (method, path, response.text)
    declared = {(m, p): a for m, p, a in _routes() if a not in (None, PUBLIC)}
    assert {k: v for k, v in declared.items() if v == "self"} == EXPECTED_TASK_ROUTES


def test_a_task_token_reads_its_own_task_and_nothing_else(client: TestClient) -> None:
    mine = _task(TaskStatus.RUNNING, conversation_id="c-mine")
    other = _task(TaskStatus.COMPLETED)
    headers = {"Authorization": f"Bearer {issue_task_token(mine.id)}"}
    assert client.get(f"/api/tasks/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/tasks/{mine.id}/output", headers=headers).status_code == 200
    for path in (f"/api/tasks/{other.id}", f"/api/tasks/{other.id}/output", "/api/tasks"):
        assert client.get(path, headers=headers).status_code == 403, path
    assert client.get("/api/status", headers=headers).status_code == 403
    assert client.get("/api/conversations/c-other", headers=headers).status_code == 403
    assert client.get("/api/conversations/c-mine", headers=headers).status_code == 404


def test_dashboard_tasks_may_manage_agents_webhook_tasks_may_not(client: TestClient) -> None:
    dashboard = _task(TaskStatus.RUNNING, source="chat")
    webhook = _task(TaskStatus.RUNNING, source="webhook:slack")
    as_dashboard = {"Authorization": f"Bearer {issue_task_token(dashboard.id)}"}
    as_webhook = {"Authorization": f"Bearer {issue_task_token(webhook.id)}"}
    assert client.get("/api/agents", headers=as_dashboard).status_code == 200
    assert client.get("/api/agents", headers=as_webhook).status_code == 403


def test_a_task_token_ends_with_its_task_and_cannot_be_forged(client: TestClient) -> None:
    ended = _task(TaskStatus.COMPLETED)
    for token in (
        issue_task_token(ended.id),
        issue_task_token("x" * 32),
        issue_task_token(ended.id)[:-1] + "0",
        f"cca-task.{ended.id}.",
    ):
        response = client.get(
            f"/api/tasks/{ended.id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token


def test_a_stream_ticket_opens_the_websocket_and_expires(client: TestClient) -> None:
    ticket = client.post("/api/stream-tickets", headers=ADMIN).json()["ticket"]
    with client.websocket_connect(f"/ws/s1?ticket={ticket}") as ws:
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
    stale = issue_ticket(now=0)
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect(f"/ws/s1?ticket={stale}"),
    ):
        pass
    assert denied.value.status_code == 401


def test_a_body_is_not_read_before_the_caller_is_known(client: TestClient) -> None:
    received = 0

    def body() -> Iterator[bytes]:
        nonlocal received
        for _ in range(100):
            received += 1
            yield b"x" * 10_000

    response = client.post("/api/tasks", content=body())
    assert response.status_code == 401
    assert received <= 1  # the client may have sent its first chunk; the app read nothing


def test_an_undeclared_body_over_the_limit_is_refused_as_it_arrives(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(300):
            yield b"x" * 10_000  # 3 MB, chunked: no Content-Length to refuse it by

    response = client.post("/api/tasks", content=body(), headers=ADMIN)
    assert response.status_code == 413 and "too large" in response.json()["detail"]
