"""A running system wired to a local git server (GitHub's git side) and the recording HTTP
server (its REST API), with a `git` on the worker's PATH that records its own argv before it
runs the real git: what the system's commands were is then known, not guessed."""

import json
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running_stack
from tests.support.git_server import GitServer
from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import PAYLOADS, SECRETS, github_headers

GITHUB_TOKEN = "ghp-workspaces-7c1d9e40b2"  # held by the system, never by a run
REPOSITORY = "Codertocat/Hello-World"  # the repository of GitHub's sample payloads
FILES = {"README.md": "Hello World\n", "src/app.py": "print('hello')\n"}
FINAL = {"processed", "ignored", "failed", "rejected", "duplicate"}


def argv_recording_git(directory: Path, log: Path) -> Path:
    """A `git` that appends its arguments (one JSON list a line) to `log`, then is git."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "git"
    shim.write_text(
        "#!/usr/bin/python3\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "os.execv('/usr/bin/git', ['git', *sys.argv[1:]])\n"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def recorded_argv(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    server = GitServer(tmp_path_factory.mktemp("git-server"), GITHUB_TOKEN)
    server.create(REPOSITORY, FILES, branch="master")
    yield server
    server.close()


@pytest.fixture(scope="module")
def apis() -> Iterator[ProviderAPIs]:
    recorder = ProviderAPIs()
    yield recorder
    recorder.close()


@pytest.fixture(scope="module")
def argv_log(tool_scratch: Path) -> Path:
    """Where the git shim logs its calls: its callers include the runs' tools."""
    return Path(tempfile.mkdtemp(dir=tool_scratch)) / "git-argv.jsonl"


def workspace_settings(
    git_server: GitServer, apis: ProviderAPIs, shim_dir: Path, **overrides: Any
) -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2]
    return {
        "GITHUB_GIT_URL": git_server.url,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_WEBHOOK_SECRET": SECRETS["GITHUB_WEBHOOK_SECRET"],
        "GITHUB_BOT_LOGIN": "agent-bot",
        "GIT_AUTHOR_NAME": "Agent Tester",
        "GIT_AUTHOR_EMAIL": "agent-tester@example.com",
        "FAILED_WORKSPACE_KEEP_SECONDS": "0",
        "WEBHOOK_RETRY_ATTEMPTS": "2",
        "WEBHOOK_RETRY_MAX_WAIT_SECONDS": "0.2",
        "PATH": f"{shim_dir}:{root / '.venv/bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        **apis.settings(),
        **overrides,
    }


@pytest.fixture(scope="module")
def ws_stack(
    tmp_path_factory: pytest.TempPathFactory,
    stub_url: str,
    git_server: GitServer,
    apis: ProviderAPIs,
    argv_log: Path,
) -> Iterator[Stack]:
    shim = argv_recording_git(tmp_path_factory.mktemp("shim"), argv_log)
    overrides = workspace_settings(git_server, apis, shim)
    with running_stack(tmp_path_factory, stub_url, **overrides) as system:
        yield system


def data_dir(stack: Stack) -> Path:
    return Path(stack.env["DATA_DIR"])


def workspace_of(stack: Stack, task_id: str) -> Path:
    return data_dir(stack) / "workspaces" / task_id


def issue_comment(text: str, number: int, comment_id: int, on_pull: bool = False) -> bytes:
    samples = json.loads((PAYLOADS / "github-examples.json").read_text())
    sample = next(s for s in samples if s["event"] == "issue_comment")["payload"]
    body: dict[str, Any] = json.loads(json.dumps(sample))
    body["action"] = "created"
    body["issue"]["number"] = number
    body["comment"].update(id=comment_id, body=text, author_association="MEMBER")
    body["sender"]["type"] = "User"
    if on_pull:  # GitHub sends a pull request's comments as issue comments, marked so
        body["issue"]["pull_request"] = {"url": f"https://api.github.com/pulls/{number}"}
    return json.dumps(body).encode()


def send_comment(stack: Stack, text: str, number: int, on_pull: bool = False) -> dict[str, Any]:
    """Deliver a signed `issue_comment` and return the delivery once it is processed."""
    body = issue_comment(text, number, uuid.uuid4().int % 10**9, on_pull)
    response = httpx.post(
        f"http://127.0.0.1:{stack.port}/webhooks/github",
        content=body,
        headers=github_headers(body, "issue_comment"),
    )
    assert response.status_code == 200, response.text
    delivery_id = response.json()["delivery_id"]

    def done() -> dict[str, Any] | None:
        found = stack.client.get(f"/api/webhooks/deliveries/{delivery_id}").json()
        return found if found["outcome"] in FINAL else None

    return dict(wait_until(done, 60, interval=0.05, what=f"delivery {delivery_id}"))
