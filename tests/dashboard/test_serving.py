"""How the API serves the dashboard's files: index.html for client-side routes, hashed assets
cached for good, the API's own paths untouched, and a clear page when nothing is built."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import dashboard
from app.main import create_app


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(dashboard, "DIST", tmp_path)
    return tmp_path


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app())


def build(dist: Path) -> None:
    (dist / "assets").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>dashboard</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")


def test_client_routes_get_index_html(dist: Path, client: TestClient) -> None:
    build(dist)
    for path in ("/", "/tasks", "/tasks/0123abcd", "/chat/x", "/agents/brain", "/webhooks"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<title>dashboard</title>" in response.text
        assert response.headers["cache-control"] == "no-cache"


def test_assets_are_served_and_cached_for_good(dist: Path, client: TestClient) -> None:
    build(dist)
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "immutable" in response.headers["cache-control"]
    assert client.get("/assets/missing.js").status_code == 404


def test_the_apis_paths_keep_their_meaning(dist: Path, client: TestClient) -> None:
    build(dist)
    for path in ("/api/nothing-here", "/ws", "/webhooks/github/abc"):
        response = client.get(path)
        assert response.status_code in (401, 404, 405), path
        assert "dashboard" not in response.text
    assert client.get("/api/nothing-here").status_code == 401  # unknown API paths stay closed
    assert client.get("/openapi.json").json()["info"]["title"] == "Claude Code Agent"


def test_no_file_outside_the_build_is_served(dist: Path, client: TestClient) -> None:
    build(dist)
    (dist.parent / "outside.txt").write_text("private")
    for path in ("/../outside.txt", "/..%2foutside.txt", "/%2e%2e/outside.txt"):
        assert "private" not in client.get(path).text, path


def test_without_a_build_the_page_says_how_to_make_one(dist: Path, client: TestClient) -> None:
    response = client.get("/tasks")
    assert response.status_code == 503
    assert "just frontend-build" in response.text
    assert client.get("/assets/index-abc123.js").status_code == 404


def test_sign_in_check_answers_200_for_a_wrong_token(client: TestClient) -> None:
    wrong = client.post("/api/dashboard/sign-in", json={"token": "nope"})
    assert wrong.status_code == 200
    assert wrong.json() == {"token_required": True, "valid": False}
    from app.config import settings

    assert settings.API_TOKEN is not None
    right = client.post(
        "/api/dashboard/sign-in", json={"token": settings.API_TOKEN.get_secret_value()}
    )
    assert right.json() == {"token_required": True, "valid": True}
