"""Fixtures that build real parts: Redis, the model stub, and whole running systems."""

import atexit
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Tests that import the app in this process get settings of their own, never a user's .env.
os.environ.setdefault("API_TOKEN", "unit-test-token")
os.environ.setdefault("DATABASE_URL", f"sqlite:////tmp/ccagent-unit-{os.getpid()}.db")

from tests.support.processes import start_stub
from tests.support.redis_server import PrivateRedis, answers, free_port
from tests.support.stack import Stack

_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
if answers(_base):
    REDIS_BASE = _base.rsplit("/", 1)[0] if _base.rsplit("/", 1)[-1].isdigit() else _base
else:  # no Redis at REDIS_URL: a private one for this run
    _private = PrivateRedis(Path(os.environ.get("TMPDIR", "/tmp")) / f"test-redis-{os.getpid()}")
    _private.start()
    atexit.register(_private.stop)
    REDIS_BASE = _private.url.rsplit("/", 1)[0]

# Stacks take Redis databases 1..15 in turn (0 is left to `just up`), flushed before use.
_databases = itertools.cycle(range(1, 16))


def fresh_redis_url() -> str:
    import redis

    url = f"{REDIS_BASE}/{next(_databases)}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="session")
def stub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_stub(port, tmp_path_factory.mktemp("stub") / "stub.log")
    yield f"http://127.0.0.1:{port}"
    proc.stop()


@pytest.fixture
def make_stack(
    tmp_path_factory: pytest.TempPathFactory, stub_url: str
) -> Iterator[Callable[..., Stack]]:
    """Build a system with settings overridden as keyword arguments; closed after the test."""
    stacks: list[Stack] = []

    def build(**overrides: Any) -> Stack:
        stack = Stack(tmp_path_factory.mktemp("stack"), fresh_redis_url(), stub_url, **overrides)
        stacks.append(stack)
        return stack

    yield build
    for stack in stacks:
        stack.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[Stack]:
    """A system shared by a module's tests: API and one worker on the real CLI."""
    system = Stack(tmp_path_factory.mktemp("stack"), fresh_redis_url(), stub_url)
    system.start_api()
    system.start_worker()
    yield system
    system.close()
