"""Fixtures of the fault tests: a Redis of their own to break, what the model stub was asked."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.redis_server import PrivateRedis


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server for one test to stop and restart. Ask for it before make_stack, so the
    stack is closed before it goes away."""
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def stub_requests_with(stub_url: str) -> Callable[[str], int]:
    """How many /v1/messages requests the model stub recorded whose body holds a text."""

    def count(text: str) -> int:
        bodies = httpx.get(f"{stub_url}/_stub/requests", timeout=10).json()
        return sum(text in str(body) for body in bodies)

    return count
