"""A running system wired to the recording provider APIs, and signed senders per provider."""

import hashlib
import hmac
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running_stack
from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack

PAYLOADS = Path(__file__).parent / "payloads"
SECRETS = {
    "GITHUB_WEBHOOK_SECRET": "gh-secret",
    "SLACK_SIGNING_SECRET": "slack-secret",
    "JIRA_WEBHOOK_SECRET": "jira-secret",
    "SENTRY_CLIENT_SECRET": "sentry-secret",
    "GENERIC_WEBHOOK_SECRET": "generic-secret",
}
TOKENS = {
    "GITHUB_TOKEN": "ghp-test-token",
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": "jira-test-token",
    "SENTRY_TOKEN": "sentry-test-token",
    "TASK_TOKEN_SECRET": "task-token-secret",
}
FINAL = {"processed", "ignored", "failed", "rejected", "duplicate"}


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / name).read_text()))


def hexmac(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def github_headers(
    body: bytes, event: str, delivery: str | None = None, secret: str | None = None
) -> dict[str, str]:
    secret = secret or SECRETS["GITHUB_WEBHOOK_SECRET"]
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "4242",
        "X-Hub-Signature-256": "sha256=" + hexmac(secret, body),
    }


def slack_headers(
    body: bytes, stamp: int | None = None, retry: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    base = f"v0:{stamp}:".encode() + body
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": "v0=" + hexmac(SECRETS["SLACK_SIGNING_SECRET"], base),
    }
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return headers


def jira_headers(body: bytes, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": delivery or str(uuid.uuid4()),
        "X-Hub-Signature": "sha256=" + hexmac(SECRETS["JIRA_WEBHOOK_SECRET"], body),
    }


def sentry_headers(body: bytes, resource: str, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Request-ID": delivery or str(uuid.uuid4()),
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": str(int(time.time())),
        "Sentry-Hook-Signature": hexmac(SECRETS["SENTRY_CLIENT_SECRET"], body),
    }


def post(stack: Stack, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """An unauthenticated POST, as a provider sends it."""
    return httpx.post(f"http://127.0.0.1:{stack.port}{path}", content=body, headers=headers)


def delivery(stack: Stack, delivery_id: str, timeout: float = 60) -> dict[str, Any]:
    """The delivery once its processing has ended."""

    def done() -> dict[str, Any] | None:
        found = stack.client.get(f"/api/webhooks/deliveries/{delivery_id}").json()
        return found if found["outcome"] in FINAL else None

    return dict(wait_until(done, timeout, interval=0.05, what=f"delivery {delivery_id}"))


def task_token(task_id: str) -> str:
    signature = hexmac(TOKENS["TASK_TOKEN_SECRET"], f"task:{task_id}".encode())
    return f"cca-task.{task_id}.{signature}"


@pytest.fixture(scope="module")
def apis() -> Iterator[ProviderAPIs]:
    recorder = ProviderAPIs()
    yield recorder
    recorder.close()


def git_host(root: Path, repository: str = "Codertocat/Hello-World") -> str:
    """A local git host (GITHUB_GIT_URL) holding the samples' repository, so a task about a
    GitHub thread can check it out: file://<root>/<owner>/<name>.git, one commit."""
    work = root / "work"
    bare = root / f"{repository}.git"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "README.md").write_text("Hello World\n")
    subprocess.run([*git, "-C", str(work), "add", "README.md"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-q", "-m", "first"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return f"file://{root}"


def stack_settings(tmp: Path, apis: ProviderAPIs) -> dict[str, str]:
    return {**SECRETS, **TOKENS, **apis.settings(), "GITHUB_GIT_URL": git_host(tmp)}


@pytest.fixture(scope="module")
def webhook_stack(
    tmp_path_factory: pytest.TempPathFactory, stub_url: str, apis: ProviderAPIs
) -> Iterator[Stack]:
    overrides = {
        **stack_settings(tmp_path_factory.mktemp("git"), apis),
        "WEBHOOK_RETRY_ATTEMPTS": "3",
        "WEBHOOK_RETRY_MAX_WAIT_SECONDS": "0.5",
        "WEBHOOK_SWEEP_AFTER_SECONDS": "2",
        "SLACK_BOT_USER_ID": "UBOTSELF",
        "GITHUB_BOT_LOGIN": "agent-bot",
    }
    with running_stack(tmp_path_factory, stub_url, **overrides) as system:
        yield system
