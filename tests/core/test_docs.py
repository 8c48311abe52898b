"""/docs works with no internet: Swagger UI's files come from this server."""

import re

from fastapi.testclient import TestClient

from app.main import app


def test_docs_and_their_assets_are_served_here() -> None:
    client = TestClient(app)  # no lifespan needed: nothing here touches Redis
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(url.startswith("/") for url in sources), sources
    for url in sources:
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["info"]["title"] == "Claude Code Agent"
