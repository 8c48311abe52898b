"""What the open health check and a refused request say while Redis is down: that it is down,
never where it lives."""

import httpx

from tests.support.redis_server import free_port
from tests.support.stack import Stack


def test_with_redis_down_answers_name_no_host_or_port(make_stack) -> None:  # type: ignore[no-untyped-def]
    port = free_port()  # nothing listens here
    stack: Stack = make_stack(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    stack.start_api()
    health = httpx.get(f"http://127.0.0.1:{stack.port}/api/health", timeout=30)
    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "database": "ok",
        "redis": "down",
        "workers": 0,
    }
    refused = stack.client.post("/api/tasks", json={"prompt": "hello"})
    assert refused.status_code == 503 and "Redis is unavailable" in refused.json()["detail"]
    for answer in (health.text, refused.text):
        assert str(port) not in answer and "127.0.0.1" not in answer
