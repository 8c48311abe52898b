"""Bad input gets a clear 4xx with a message a person understands."""

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.stack import TOKEN, Stack


def test_unknown_task_is_404(stack: Stack) -> None:
    for path in ("/api/tasks/nope", "/api/tasks/nope/output"):
        response = stack.client.get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Task nope not found"}
    assert stack.client.post("/api/tasks/nope/stop").status_code == 404


def test_malformed_json_is_422(stack: Stack) -> None:
    response = stack.client.post(
        "/api/tasks", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON decode error" in response.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "x", "agent": "../etc"},
        {"prompt": 3},
        {"prompt": "x", "surprise": 1},
        {"prompt": "x", "session_id": "a/b"},
    ],
)
def test_invalid_task_bodies_are_422(stack: Stack, body: dict[str, object]) -> None:
    response = stack.client.post("/api/tasks", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["msg"]


def test_an_unknown_agent_is_refused_at_submit(stack: Stack) -> None:
    """Before, it was accepted (202) and failed later, in the CLI."""
    for path, body in (("/api/tasks", {"prompt": "x"}), ("/api/chat", {"message": "x"})):
        response = stack.client.post(path, json={**body, "agent": "no-such-agent"})
        assert response.status_code == 422, response.text
        problem = response.json()["detail"][0]
        assert problem["loc"][-1] == "agent" and "no agent named 'no-such-agent'" in problem["msg"]
    known = stack.client.post("/api/tasks", json={"prompt": "@stub text hi", "agent": "planning"})
    assert known.status_code == 202, known.text


def test_oversized_body_is_413(stack: Stack) -> None:
    response = stack.client.post("/api/tasks", json={"prompt": "x" * 1_100_000})
    assert response.status_code == 413 and "too large" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}]
)
def test_missing_or_wrong_token_is_401(stack: Stack, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=str(stack.client.base_url), headers=headers) as anonymous:
        for method, path in (("GET", "/api/tasks"), ("POST", "/api/tasks"), ("GET", "/api/status")):
            response = anonymous.request(method, path, json={"prompt": "x"})
            assert response.status_code == 401, (path, response.text)
            assert "token" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("headers", "query", "why"),
    [
        ({}, "", "missing bearer token"),
        ({"Authorization": "Bearer wrong"}, "", "invalid bearer token"),
        ({}, "?ticket=cca-ticket.1.bad", "ticket is invalid or expired"),
        ({}, f"?token={TOKEN}", "missing bearer token"),  # a token in the URL is not taken
    ],
)
def test_websocket_without_a_valid_credential_is_refused_saying_why(
    stack: Stack, headers: dict[str, str], query: str, why: str
) -> None:
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(f"ws://127.0.0.1:{stack.port}/ws/s1{query}", additional_headers=headers) as ws,
    ):
        ws.recv(timeout=5)
    assert refused.value.response.status_code == 401
    assert why in json.loads(refused.value.response.body)["detail"].lower()


def test_health_needs_no_token_and_says_only_up_or_down(stack: Stack) -> None:
    response = httpx.get(f"http://127.0.0.1:{stack.port}/api/health")
    assert response.status_code == 200
    # exactly these fields (anything more, a secret or a host, would be a change to review)
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok", "workers": 1}
