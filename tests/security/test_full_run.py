"""A full run as a team would make it, then two checks: no log line holds a secret, and the
source tree is as it was (everything the system writes lives under DATA_DIR).

The system: API, worker and Flower, on a Redis that wants a password and, when a PostgreSQL
server answers, a database reached with one; a signed GitHub delivery whose answer is posted
back (with GITHUB_TOKEN) to a recording stand-in for GitHub's API."""

import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.core.test_postgres import ADMIN_URL
from tests.support.processes import BIN, ROOT, Proc, wait_until
from tests.support.providers import ProviderAPIs
from tests.support.redis_server import answers, free_port, redis_server_binary
from tests.support.stack import TOKEN, Stack
from tests.webhooks.conftest import PAYLOADS, delivery, git_host, github_headers

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
REDIS_PASSWORD = "redis-password-in-no-log-8080"
DATABASE_PASSWORD = "database-password-in-no-log-9090"


def _tree_state() -> set[str]:
    """What git sees in the source tree, ignored files included (but not bytecode caches)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tests_own = Path(tempfile.gettempdir()).resolve()  # the tests' own files (tests/conftest.py)
    own = str(tests_own.relative_to(ROOT)) if tests_own.is_relative_to(ROOT) else None
    return {
        line
        for line in status.splitlines()
        if "__pycache__" not in line and (own is None or own not in line)
    }


@pytest.fixture(scope="module")
def redis_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--dir", str(tmp_path_factory.mktemp("redis")), "--requirepass", REDIS_PASSWORD]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
    try:
        wait_until(lambda: answers(url), 10, what="the password-protected redis-server")
        assert not answers(f"redis://127.0.0.1:{port}/0")  # it does want the password
        yield url
    finally:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database whose role logs in with a password, or SQLite without a server."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'agent.db'}"
        return
    name = f"ccagent_full_run_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{DATABASE_PASSWORD}'")
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    server = ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{name}:{DATABASE_PASSWORD}@{server}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def full_run(
    tmp_path_factory: pytest.TempPathFactory,
    stub_url: str,
    redis_with_password: str,
    database_url: str,
) -> Any:
    before = _tree_state()
    apis = ProviderAPIs()
    stack = Stack(
        tmp_path_factory.mktemp("full-run"),
        redis_with_password,
        stub_url,
        DATABASE_URL=database_url,
        BRAIN_DIR=str(ROOT / "agents_brain"),  # the real brain, to prove nothing writes there
        PYTHONDONTWRITEBYTECODE="1",
        GITHUB_GIT_URL=git_host(tmp_path_factory.mktemp("git")),
        **apis.settings(),
        **SECRETS,
    )
    flower: Proc | None = None
    try:
        stack.start_api(log_level="info")  # with uvicorn's access log
        stack.start_worker()
        flower = _start_flower(stack)
        _use_it_as_a_team_would(stack)
        _deliver_a_github_mention(stack, apis)
    finally:
        if flower:
            flower.stop()
        stack.close()
        apis.close()
    logs = "\n".join(path.read_text(errors="replace") for path in stack.tmp.glob("*.log"))
    return before, _tree_state(), logs


def _start_flower(stack: Stack) -> Proc:
    """Flower as `just up` starts it, its login tried wrong and right."""
    port = free_port()
    command = [str(BIN / "celery"), "-A", "worker.celery_app", "flower"]
    command += [f"--port={port}", "--address=127.0.0.1"]
    flower = Proc("flower", command, stack.env, stack.tmp / "flower.log")
    url = f"http://127.0.0.1:{port}/"

    def answers_401() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 401
        except httpx.HTTPError:
            return False

    wait_until(answers_401, 60, interval=0.5, what="Flower")
    user, password = SECRETS["FLOWER_BASIC_AUTH"].split(":")
    assert httpx.get(url, auth=(user, password), timeout=10).status_code == 200
    return flower


def _deliver_a_github_mention(stack: Stack, apis: ProviderAPIs) -> None:
    """A signed GitHub comment naming the bot: a run, and its answer posted with GITHUB_TOKEN."""
    assert stack.client.post("/api/webhooks/templates/github-mention-bot").status_code == 200
    samples = json.loads((PAYLOADS / "github-examples.json").read_text())
    body: dict[str, Any] = next(s for s in samples if s["event"] == "issue_comment")["payload"]
    body["action"] = "created"
    body["issue"]["number"] = 77
    body["comment"].update(id=7701, body="@agent\n@stub text ANSWERED", author_association="MEMBER")
    body["sender"]["type"] = "User"
    raw = json.dumps(body).encode()
    headers = github_headers(raw, "issue_comment", secret=SECRETS["GITHUB_WEBHOOK_SECRET"])
    sent = httpx.post(
        f"http://127.0.0.1:{stack.port}/webhooks/github", content=raw, headers=headers
    )
    assert sent.status_code == 200, sent.text
    done = delivery(stack, sent.json()["delivery_id"])
    assert done["outcome"] == "processed", done
    stack.wait_done(done["task_ids"][0])
    posted = apis.wait_for("POST", "/issues/77/comments", lambda r: "ANSWERED" in r.text())
    assert posted.headers["authorization"] == f"Bearer {SECRETS['GITHUB_TOKEN']}"


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
    assert "Visit me at" in logs and "/webhooks/github" in logs  # Flower's and the delivery's
    everything = {**SECRETS, "API_TOKEN": TOKEN, "REDIS_URL": REDIS_PASSWORD}
    everything["DATABASE_URL"] = DATABASE_PASSWORD
    for name, secret in everything.items():
        assert secret not in logs, name
    assert "flower-password-777" not in logs
    assert "cca-task." not in logs and "cca-ticket." not in logs


def test_the_source_tree_is_unchanged(full_run: tuple[set[str], set[str], str]) -> None:
    before, after, _logs = full_run
    assert after == before, sorted(after ^ before)
    assert not (Path(ROOT) / "agents_brain" / "made-by-a-tool").exists()
