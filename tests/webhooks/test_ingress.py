"""The ingress: published samples accepted and routed, bad requests refused and recorded,
repeated deliveries processed once."""

import json
import threading
import time
from typing import Any

import httpx
import pytest

from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import (
    PAYLOADS,
    delivery,
    github_headers,
    jira_headers,
    payload,
    post,
    sentry_headers,
    slack_headers,
)

GITHUB_SAMPLES = json.loads((PAYLOADS / "github-examples.json").read_text())


def task_count(stack: Stack) -> int:
    return int(stack.client.get("/api/tasks", params={"limit": 1}).json()["total"])


def test_at_least_fifty_github_samples_across_event_types() -> None:
    assert len(GITHUB_SAMPLES) >= 50
    assert len({sample["event"] for sample in GITHUB_SAMPLES}) >= 50


def test_published_samples_are_accepted_routed_and_ignored(webhook_stack: Stack) -> None:
    before = task_count(webhook_stack)
    sent: list[tuple[str, str, httpx.Response]] = []
    for sample in GITHUB_SAMPLES:
        body = json.dumps(sample["payload"]).encode()
        response = post(
            webhook_stack, "/webhooks/github", body, github_headers(body, sample["event"])
        )
        action = sample["payload"].get("action")
        sent.append((sample["event"] + (f".{action}" if action else ""), "github", response))
    for name in ["jira-comment-created.json", "jira-issue-created.json"]:
        body = (PAYLOADS / name).read_bytes()
        sent.append(
            (
                payload(name)["webhookEvent"],
                "jira",
                post(webhook_stack, "/webhooks/jira", body, jira_headers(body)),
            )
        )
    for name, resource in [
        ("sentry-issue-created.json", "issue"),
        ("sentry-installation-created.json", "installation"),
    ]:
        body = (PAYLOADS / name).read_bytes()
        headers = sentry_headers(body, resource)
        sent.append(
            (
                f"{resource}.created",
                "sentry",
                post(webhook_stack, "/webhooks/sentry", body, headers),
            )
        )
    for name, event in [
        ("slack-app-mention.json", "app_mention"),
        ("slack-message-bot.json", "message"),
    ]:
        body = (PAYLOADS / name).read_bytes()
        sent.append(
            (event, "slack", post(webhook_stack, "/webhooks/slack", body, slack_headers(body)))
        )

    for name, provider, response in sent:
        assert response.status_code == 200, (name, response.text)
        found = delivery(webhook_stack, response.json()["delivery_id"])
        assert found["provider"] == provider and found["event"] == name
        assert found["outcome"] == "ignored", (name, found)
        assert found["reason"]
    assert task_count(webhook_stack) == before
    bot = next(s for s in sent if s[0] == "message")[2].json()["delivery_id"]
    assert "bot" in delivery(webhook_stack, bot)["reason"]


def test_slack_url_verification_is_answered(webhook_stack: Stack) -> None:
    body = (PAYLOADS / "slack-url-verification.json").read_bytes()
    response = post(webhook_stack, "/webhooks/slack", body, slack_headers(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": payload("slack-url-verification.json")["challenge"]}


def _comment(text: str, number: int = 7, association: str = "OWNER") -> dict[str, Any]:
    sample = next(s for s in GITHUB_SAMPLES if s["event"] == "issue_comment")["payload"]
    body = json.loads(json.dumps(sample))
    body["action"] = "created"
    body["issue"]["number"] = number
    body["comment"]["body"] = text
    body["comment"]["author_association"] = association
    body["sender"]["type"] = "User"
    return dict(body)


@pytest.mark.parametrize(
    "case",
    [
        "wrong-signature",
        "missing-signature",
        "stale-slack",
        "wrong-slack",
        "wrong-jira",
        "missing-jira",
        "wrong-sentry",
        "missing-sentry",
        "wrong-generic",
        "missing-generic",
        "malformed-json",
        "not-an-object",
        "unknown-provider",
        "unknown-webhook",
        "no-secret",
    ],
)
def test_bad_requests_get_a_clear_4xx_are_recorded_and_start_nothing(
    webhook_stack: Stack, case: str
) -> None:
    before = task_count(webhook_stack)
    body = json.dumps(_comment("@agent fix everything")).encode()
    path, headers = "/webhooks/github", github_headers(body, "issue_comment")
    expected = 401
    if case == "wrong-signature":
        headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    elif case == "missing-signature":
        del headers["X-Hub-Signature-256"]
    elif case in ("stale-slack", "wrong-slack"):
        body = (PAYLOADS / "slack-app-mention.json").read_bytes()
        path = "/webhooks/slack"
        if case == "stale-slack":
            headers = slack_headers(body, stamp=int(time.time()) - 600)
        else:
            headers = slack_headers(body)
            headers["X-Slack-Signature"] = "v0=" + "1" * 64
    elif case in ("wrong-jira", "missing-jira"):
        body = (PAYLOADS / "jira-comment-created.json").read_bytes()
        path, headers = "/webhooks/jira", jira_headers(body)
        headers["X-Hub-Signature"] = "sha256=" + "2" * 64
        if case == "missing-jira":
            del headers["X-Hub-Signature"]
    elif case in ("wrong-sentry", "missing-sentry"):
        body = (PAYLOADS / "sentry-issue-created.json").read_bytes()
        path, headers = "/webhooks/sentry", sentry_headers(body, "issue")
        headers["Sentry-Hook-Signature"] = "3" * 64
        if case == "missing-sentry":
            del headers["Sentry-Hook-Signature"]
    elif case in ("wrong-generic", "missing-generic"):
        body = json.dumps({"text": "@agent fix everything", "thread": "t-1"}).encode()
        path = "/webhooks/generic"
        headers = {"Content-Type": "application/json", "X-Webhook-Signature": "sha256=" + "4" * 64}
        if case == "missing-generic":
            del headers["X-Webhook-Signature"]
    elif case in ("malformed-json", "not-an-object"):
        body = b'{"action": "created", ' if case == "malformed-json" else b"[1, 2]"
        headers, expected = github_headers(body, "issue_comment"), 400
    elif case == "unknown-provider":
        path, expected = "/webhooks/gitlab", 404
    elif case == "unknown-webhook":
        path, expected = "/webhooks/github/0123456789abcdef", 404
    elif case == "no-secret":
        made = webhook_stack.client.post(
            "/api/webhooks", json={"name": "unsigned", "provider": "github"}
        )
        assert made.status_code == 201, made.text
        path, expected = f"/webhooks/github/{made.json()['id']}", 403
    response = post(webhook_stack, path, body, headers)
    assert response.status_code == expected, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    recorded = webhook_stack.client.get(
        f"/api/webhooks/deliveries/{response.json()['delivery_id']}"
    ).json()
    assert recorded["outcome"] == "rejected" and recorded["reason"] == detail
    assert task_count(webhook_stack) == before


def test_oversized_bodies_are_refused(webhook_stack: Stack) -> None:
    before = task_count(webhook_stack)
    big = b"{" + b" " * 1_100_000 + b"}"
    declared = post(webhook_stack, "/webhooks/github", big, github_headers(big, "issue_comment"))
    assert declared.status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(12):
            yield b" " * 100_000

    chunked = httpx.post(
        f"http://127.0.0.1:{webhook_stack.port}/webhooks/github",
        content=chunks(),
        headers={"X-GitHub-Event": "issue_comment", "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413
    rejected = webhook_stack.client.get(
        "/api/webhooks/deliveries", params={"outcome": "rejected", "provider": "github"}
    ).json()["items"]
    assert any("too large" in (d["reason"] or "") for d in rejected)
    assert task_count(webhook_stack) == before


def test_the_same_delivery_twice_starts_one_task_and_posts_one_reply(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    made = webhook_stack.client.post(
        "/api/webhooks",
        json={
            "name": "dedup",
            "provider": "github",
            "secret": "dedup-secret",
            "commands": [
                {
                    "name": "mention",
                    "trigger": {"events": ["issue_comment.created"], "mention": True},
                    "actions": [{"type": "create_task"}],
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    body = json.dumps(_comment("@agent hello\n@stub text answered once", number=501)).encode()
    headers = github_headers(body, "issue_comment", delivery="same-delivery", secret="dedup-secret")
    path = f"/webhooks/github/{made.json()['id']}"
    first, second = (
        post(webhook_stack, path, body, headers),
        post(webhook_stack, path, body, headers),
    )
    assert first.status_code == second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    task_ids = delivery(webhook_stack, first.json()["delivery_id"])["task_ids"]
    assert len(task_ids) == 1
    webhook_stack.wait_done(task_ids[0])
    apis.wait_for("POST", "/issues/501/comments", lambda r: "answered once" in r.text())
    _settle(webhook_stack, first.json()["delivery_id"])
    assert len(apis.matching("POST", "/issues/501/comments")) == 1
    assert (
        delivery(webhook_stack, second.json()["delivery_id"])["duplicate_of"]
        == first.json()["delivery_id"]
    )


def _settle(stack: Stack, delivery_id: str) -> None:
    """Wait until the replies of the delivery's runs were handled."""

    def handled() -> bool:
        runs = stack.client.get(f"/api/webhooks/deliveries/{delivery_id}").json()["runs"]
        return bool(runs) and all(r["reply_state"] in ("sent", "failed") for r in runs)

    wait_until(handled, 60, what=f"the replies of delivery {delivery_id}")


def test_a_slack_retry_during_the_first_attempt_starts_one_task(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    installed = webhook_stack.client.post("/api/webhooks/templates/slack-mention")
    assert installed.status_code == 200, installed.text
    event = payload("slack-app-mention.json")
    event["event_id"] = "EvRETRY0001"
    event["event"]["ts"] = "1700000500.000100"
    event["event"]["text"] = "<@UBOTSELF> hi\n@stub text retry answer"
    body = json.dumps(event).encode()
    answers: list[httpx.Response] = []

    def send(retry: int | None) -> None:
        answers.append(
            post(webhook_stack, "/webhooks/slack", body, slack_headers(body, retry=retry))
        )

    threads = [threading.Thread(target=send, args=(n,)) for n in (None, 1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["accepted", "duplicate", "duplicate"]
    accepted = next(a for a in answers if a.json()["outcome"] == "accepted")
    task_ids = delivery(webhook_stack, accepted.json()["delivery_id"])["task_ids"]
    assert len(task_ids) == 1
    webhook_stack.wait_done(task_ids[0])
    apis.wait_for("POST", "/chat.update", lambda r: "retry answer" in r.text())
    _settle(webhook_stack, accepted.json()["delivery_id"])
    in_thread = [
        r for r in apis.matching("POST", "/chat.") if r.body.get("thread_ts") == "1700000500.000100"
    ]
    assert len(in_thread) == 1  # the one "working" message, later updated with the answer
    assert (
        len([r for r in apis.matching("POST", "/chat.update") if "retry answer" in r.text()]) == 1
    )


def test_a_delivery_is_answered_while_slow_provider_calls_hold_the_processing(
    webhook_stack: Stack, apis: ProviderAPIs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More deliveries stuck on a slow provider than asyncio's default pool has threads
    (min(32, cpus + 4)): a new signed delivery still gets its 2xx while they are all held."""
    made = webhook_stack.client.post(
        "/api/webhooks",
        json={
            "name": "slow-provider",
            "provider": "github",
            "secret": "slow-secret",
            "commands": [
                {
                    "name": "react",
                    "trigger": {"events": ["issue_comment.created"]},
                    "actions": [{"type": "github_reaction", "content": "eyes"}],
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    path = f"/webhooks/github/{made.json()['id']}"
    release = threading.Event()
    answer = apis._answer

    def held(method: str, url: str, body: Any) -> tuple[int, Any, dict[str, str], float]:
        if "/comments/6" in url and url.endswith("/reactions"):
            release.wait(120)
        return answer(method, url, body)

    monkeypatch.setattr(apis, "_answer", held)

    def send(number: int) -> httpx.Response:
        event = _comment("slow", number=number)
        event["comment"]["id"] = number
        body = json.dumps(event).encode()
        headers = github_headers(body, "issue_comment", secret="slow-secret")
        return httpx.post(
            f"http://127.0.0.1:{webhook_stack.port}{path}", content=body, headers=headers, timeout=8
        )

    held_ids: list[str] = []
    try:
        for number in range(601, 611):
            held_ids.append(send(number).json()["delivery_id"])
        wait_until(
            lambda: len(apis.matching("POST", "/comments/6")) >= 4,
            30,
            what="the slow provider calls to arrive",
        )
        late = send(701)  # its reaction is not held
        assert late.status_code == 200 and late.json()["outcome"] == "accepted"
        still = [webhook_stack.client.get(f"/api/webhooks/deliveries/{d}") for d in held_ids]
        assert all(r.json()["outcome"] in ("accepted", "processing") for r in still)
    finally:
        release.set()
    for delivery_id in held_ids:
        assert delivery(webhook_stack, delivery_id)["outcome"] == "processed"


def test_deliveries_are_filtered_by_webhook_and_redelivered_through_the_api(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    client = webhook_stack.client
    react = [{"type": "github_reaction", "content": "rocket"}]
    hooks = []
    for name in ("filter-a", "filter-b"):
        made = client.post(
            "/api/webhooks",
            json={
                "name": name,
                "provider": "github",
                "secret": f"{name}-secret",
                "commands": [
                    {"name": "react", "trigger": {"events": ["issue_comment.*"]}, "actions": react}
                ],
            },
        )
        assert made.status_code == 201, made.text
        hooks.append(made.json()["id"])
    sent = {}
    for hook, name, comment_id in zip(hooks, ("filter-a", "filter-b"), (8801, 8802), strict=True):
        event = _comment("hello", number=880)
        event["comment"]["id"] = comment_id
        body = json.dumps(event).encode()
        headers = github_headers(body, "issue_comment", secret=f"{name}-secret")
        response = post(webhook_stack, f"/webhooks/github/{hook}", body, headers)
        assert response.status_code == 200, response.text
        sent[hook] = delivery(webhook_stack, response.json()["delivery_id"])
        assert sent[hook]["outcome"] == "processed", sent[hook]
    listed = client.get("/api/webhooks/deliveries", params={"webhook": hooks[0]}).json()
    assert [d["id"] for d in listed["items"]] == [sent[hooks[0]]["id"]] and listed["total"] == 1

    again = client.post(f"/api/webhooks/deliveries/{sent[hooks[0]]['id']}/redeliver")
    assert again.status_code == 202, again.text
    copy = delivery(webhook_stack, again.json()["id"])
    assert copy["id"] != sent[hooks[0]]["id"] and copy["webhook_id"] == hooks[0]
    assert copy["outcome"] == "processed" and copy["commands"] == ["react"]
    assert len(apis.matching("POST", "/comments/8801/reactions")) == 2  # the event ran again
    assert len(apis.matching("POST", "/comments/8802/reactions")) == 1
    listed = client.get("/api/webhooks/deliveries", params={"webhook": hooks[0]}).json()
    assert listed["total"] == 2
    missing = client.post("/api/webhooks/deliveries/0123456789abcdef/redeliver")
    assert missing.status_code == 404 and missing.json()["detail"]
