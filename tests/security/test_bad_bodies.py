"""Every bad body gets a JSON 4xx that a person can read, echoing at most an excerpt of it:
numbers JSON cannot hold, lone surrogates, huge values. Never a 500, never the input back."""

import os

import pytest
from fastapi.testclient import TestClient

from app.errors import EXCERPT_CHARS
from app.main import app

ADMIN = {"Authorization": f"Bearer {os.environ['API_TOKEN']}", "content-type": "application/json"}
TASK = '{"prompt": "hello", "max_turns": %s}'
CHAT = '{"message": %s}'
AGENT = '{"name": %s, "description": "d", "tools": ["Read"], "prompt": "p"}'


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(app)  # validation needs no Redis: no lifespan


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/tasks", TASK % "1e400"),
        ("/api/tasks", TASK % "NaN"),
        ("/api/tasks", TASK % "Infinity"),
        ("/api/tasks", TASK % "-Infinity"),
        ("/api/tasks", '{"prompt": "\\ud800"}'),
        ("/api/tasks", '{"prompt": "ok", "\\udfff": 1}'),
        ("/api/chat", CHAT % '"\\ud800 hi"'),
        ("/api/chat", CHAT % "1e400"),
        ("/api/agents", AGENT % '"\\ud800"'),
        ("/api/agents", AGENT % "NaN"),
        ("/api/skills", '{"name": "s", "description": "\\ud83d", "content": "c"}'),
        ("/api/conversations", '{"title": "\\udc00"}'),
    ],
)
def test_json_that_python_parses_oddly_is_a_clear_422(
    client: TestClient, path: str, body: str
) -> None:
    response = client.post(path, content=body.encode(), headers=ADMIN)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail and all(problem["msg"] for problem in detail)


def test_a_huge_bad_value_is_echoed_as_a_short_excerpt(client: TestClient) -> None:
    huge = "A" * 900_000
    response = client.post(
        "/api/tasks", content=f'{{"prompt": "x", "agent": "{huge}"}}'.encode(), headers=ADMIN
    )
    assert response.status_code == 422
    assert len(response.content) < 1_000
    echoed = response.json()["detail"][0]["input"]
    assert echoed.startswith("AAAA") and len(echoed) <= EXCERPT_CHARS + 40
    assert "900000 characters" in echoed
