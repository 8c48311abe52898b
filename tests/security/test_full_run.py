"""A full run as a team would make it, then two checks: no log line holds a secret, and the
source tree is as it was (everything the system writes lives under DATA_DIR)."""

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.processes import ROOT
from tests.support.stack import TOKEN, Stack

# A Bash tool runs in the CLI's sandbox: such files share one test process (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("sandboxed-tools")

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-model-key-in-no-log-0451",
    "TASK_TOKEN_SECRET": "task-token-signing-key-31337",
    "FLOWER_BASIC_AUTH": "admin:flower-password-777",
    "GITHUB_TOKEN": "ghp_githubtokeninnolog000000000000",
    "GITHUB_WEBHOOK_SECRET": "github-webhook-secret-in-no-log",
    "SLACK_BOT_TOKEN": "xoxb-slack-token-in-no-log",
    "SLACK_SIGNING_SECRET": "slack-signing-secret-in-no-log",
    "JIRA_API_TOKEN": "jira-api-token-in-no-log",
    "SENTRY_TOKEN": "sentry-token-in-no-log",
}


def _tree_state() -> set[str]:
    """What git sees in the source tree, ignored files included (but not bytecode caches)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line for line in status.splitlines() if "__pycache__" not in line}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Any:
    from tests.conftest import fresh_redis_url

    before = _tree_state()
    stack = Stack(
        tmp_path_factory.mktemp("full-run"),
        fresh_redis_url(),
        stub_url,
        BRAIN_DIR=str(ROOT / "agents_brain"),  # the real brain, to prove nothing writes there
        PYTHONDONTWRITEBYTECODE="1",
        **SECRETS,
    )
    try:
        stack.start_api(log_level="info")  # with uvicorn's access log
        stack.start_worker()
        _use_it_as_a_team_would(stack)
    finally:
        stack.close()
    logs = "\n".join(path.read_text(errors="replace") for path in stack.tmp.glob("*.log"))
    return before, _tree_state(), logs


def _use_it_as_a_team_would(stack: Stack) -> None:
    base = f"http://127.0.0.1:{stack.port}"
    # A token pasted into a URL, and a wrong one.
    httpx.get(f"{base}/api/tasks?token={TOKEN}", timeout=10)
    httpx.get(f"{base}/api/tasks", headers={"Authorization": "Bearer not-it"}, timeout=10)
    ticket = stack.client.post("/api/stream-tickets").json()["ticket"]
    with connect(f"ws://127.0.0.1:{stack.port}/ws/team?ticket={ticket}") as ws:
        chat = stack.client.post("/api/chat", json={"message": "hello", "session_id": "team"})
        assert chat.status_code == 202, chat.text
        stack.wait_done(chat.json()["task_id"])
        ws.recv(timeout=10)
    tool = stack.submit('@stub bash cat "$AGENT_RUN_DIR/api-token"; env; touch made-by-a-tool')
    stack.wait_done(tool["id"])
    agent = {
        "name": "team-reader",
        "description": "Reads.",
        "tools": ["Read"],
        "prompt": "Read only.",
    }
    assert stack.client.post("/api/agents", json=agent).status_code == 201
    stack.wait_done(stack.submit("@stub text hi", agent="team-reader")["id"])
    failing = stack.submit("@stub error 401 noretry")
    stack.wait_done(failing["id"])
    slow = stack.submit("@stub slow 30")
    stack.wait_status(slow["id"], {"running"})
    time.sleep(1)
    stack.client.post(f"/api/tasks/{slow['id']}/stop")
    stack.wait_done(slow["id"])


def test_no_log_line_holds_a_secret(full_run: tuple[set[str], set[str], str]) -> None:
    _before, _after, logs = full_run
    assert "GET /api/tasks" in logs and "task" in logs  # the logs were written
    for name, secret in {**SECRETS, "API_TOKEN": TOKEN}.items():
        assert secret not in logs, name
    assert "flower-password-777" not in logs
    assert "cca-task." not in logs and "cca-ticket." not in logs


def test_the_source_tree_is_unchanged(full_run: tuple[set[str], set[str], str]) -> None:
    before, after, _logs = full_run
    assert after == before, sorted(after ^ before)
    assert not (Path(ROOT) / "agents_brain" / "made-by-a-tool").exists()
