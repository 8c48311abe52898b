"""End to end per provider: a signed event → the real CLI on the model stub → the answer posted
back where the question was asked, on a local server standing in for the provider's API."""

import base64
import json
import subprocess
from typing import Any

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

SAMPLES = json.loads((PAYLOADS / "github-examples.json").read_text())


def comment(text: str, number: int, comment_id: int) -> bytes:
    sample = next(s for s in SAMPLES if s["event"] == "issue_comment")["payload"]
    body: dict[str, Any] = json.loads(json.dumps(sample))
    body["action"] = "created"
    body["issue"]["number"] = number
    body["comment"].update(id=comment_id, body=text, author_association="MEMBER")
    body["sender"]["type"] = "User"
    return json.dumps(body).encode()


def send_comment(stack: Stack, text: str, number: int, comment_id: int) -> dict[str, Any]:
    body = comment(text, number, comment_id)
    response = post(stack, "/webhooks/github", body, github_headers(body, "issue_comment"))
    assert response.status_code == 200, response.text
    return delivery(stack, response.json()["delivery_id"])


def test_github_plan_waits_for_approve_across_a_restart_then_the_executor_runs_it(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    assert (
        webhook_stack.client.post("/api/webhooks/templates/github-mention-bot").status_code == 200
    )
    planned = send_comment(webhook_stack, "@agent plan\n@stub text PLAN: add a retry", 42, 9001)
    assert planned["outcome"] == "processed" and planned["commands"] == ["mention"]
    reaction = apis.wait_for("POST", "/repos/Codertocat/Hello-World/issues/comments/9001/reactions")
    assert reaction.body == {"content": "eyes"}
    assert reaction.headers["authorization"] == "Bearer ghp-test-token"
    plan_reply = apis.wait_for(
        "POST", "/issues/42/comments", lambda r: "PLAN: add a retry" in r.text()
    )
    assert "approve" in plan_reply.body["body"]
    plan_task = webhook_stack.task(planned["task_ids"][0])
    assert plan_task["agent"] == "planning" and plan_task["source"] == "webhook:github"

    # The pending plan lives in the database: a restart of the API loses nothing.
    assert webhook_stack.api is not None
    webhook_stack.api.stop()
    webhook_stack.start_api()

    approved = send_comment(webhook_stack, "@agent approve\n@stub text DONE: retry added", 42, 9002)
    executor = webhook_stack.wait_done(approved["task_ids"][0])
    assert executor["agent"] == "executor" and executor["status"] == "completed"
    assert "PLAN: add a retry" in executor["prompt"]
    assert executor["conversation_id"] == plan_task["conversation_id"]
    apis.wait_for("POST", "/issues/42/comments", lambda r: "DONE: retry added" in r.text())

    again = send_comment(webhook_stack, "@agent approve", 42, 9003)
    assert again["task_ids"] == []
    apis.wait_for("POST", "/issues/42/comments", lambda r: "no plan waiting" in r.text())


def test_github_reject_ends_the_plan_and_help_lists_the_verbs(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    webhook_stack.client.post("/api/webhooks/templates/github-mention-bot")
    planned = send_comment(webhook_stack, "@claude plan\n@stub text PLAN B", 43, 9101)
    webhook_stack.wait_done(planned["task_ids"][0])
    apis.wait_for("POST", "/issues/43/comments", lambda r: "PLAN B" in r.text())
    rejected = send_comment(webhook_stack, "@agent reject", 43, 9102)
    assert rejected["task_ids"] == []
    apis.wait_for("POST", "/issues/43/comments", lambda r: "Plan rejected" in r.text())
    late = send_comment(webhook_stack, "@agent approve", 43, 9103)
    assert late["task_ids"] == []
    apis.wait_for("POST", "/issues/43/comments", lambda r: "no plan waiting" in r.text())
    send_comment(webhook_stack, "@bot help", 43, 9104)
    helped = apis.wait_for("POST", "/issues/43/comments", lambda r: "`approve`" in r.text())
    assert "`review`" in helped.body["body"]


def test_slack_app_mention_is_answered_in_its_thread(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    webhook_stack.client.post("/api/webhooks/templates/slack-mention")
    event = payload("slack-app-mention.json")
    event["event_id"] = "EvE2E00001"
    event["event"].update(
        ts="1700000900.000200", text="<@U0LAN0Z89> status?\n@stub text SLACK REPLY"
    )
    body = json.dumps(event).encode()
    accepted = post(webhook_stack, "/webhooks/slack", body, slack_headers(body))
    assert accepted.status_code == 200
    working = apis.wait_for(
        "POST", "/chat.postMessage", lambda r: r.body.get("thread_ts") == "1700000900.000200"
    )
    assert working.body["channel"] == "C0LAN2Q65" and "Working" in working.body["text"]
    assert working.headers["authorization"] == "Bearer xoxb-test-token"
    update = apis.wait_for("POST", "/chat.update", lambda r: "SLACK REPLY" in r.text())
    assert update.body["channel"] == "C0LAN2Q65" and update.body["ts"].startswith("1700000000.")
    task = webhook_stack.task(
        delivery(webhook_stack, accepted.json()["delivery_id"])["task_ids"][0]
    )
    assert task["agent"] == "brain" and task["source"] == "webhook:slack"


def test_a_stopped_run_replaces_its_working_message(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    webhook_stack.client.post("/api/webhooks/templates/slack-mention")
    event = payload("slack-app-mention.json")
    event["event_id"] = "EvE2E00002"
    event["event"].update(ts="1700000950.000300", text="<@U0LAN0Z89> long one\n@stub slow 60")
    body = json.dumps(event).encode()
    accepted = post(webhook_stack, "/webhooks/slack", body, slack_headers(body))
    task_id = delivery(webhook_stack, accepted.json()["delivery_id"])["task_ids"][0]
    webhook_stack.wait_status(task_id, {"running"})
    assert webhook_stack.client.post(f"/api/tasks/{task_id}/stop").status_code in (200, 202)
    webhook_stack.wait_done(task_id)
    update = apis.wait_for("POST", "/chat.update", lambda r: "cancelled" in r.text())
    assert "Working" not in update.body["text"]


def test_a_jira_comment_is_answered_with_a_jira_comment(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    webhook_stack.client.post("/api/webhooks/templates/jira-sync")
    event = payload("jira-comment-created.json")
    event["comment"]["body"] = "@agent analyze\n@stub text JIRA REPLY"
    body = json.dumps(event).encode()
    accepted = post(webhook_stack, "/webhooks/jira", body, jira_headers(body))
    assert accepted.status_code == 200
    reply = apis.wait_for(
        "POST", "/jira/rest/api/2/issue/ED-1/comment", lambda r: "JIRA REPLY" in r.text()
    )
    expected = base64.b64encode(b"bot@example.com:jira-test-token").decode()
    assert reply.headers["authorization"] == f"Basic {expected}"
    task = webhook_stack.task(
        delivery(webhook_stack, accepted.json()["delivery_id"])["task_ids"][0]
    )
    assert task["agent"] == "planning" and task["source"] == "webhook:jira"


def test_a_new_sentry_issue_gets_a_planning_note(webhook_stack: Stack, apis: ProviderAPIs) -> None:
    webhook_stack.client.post("/api/webhooks/templates/sentry-alert")
    body = (PAYLOADS / "sentry-issue-created.json").read_bytes()
    accepted = post(webhook_stack, "/webhooks/sentry", body, sentry_headers(body, "issue"))
    assert accepted.status_code == 200
    note = apis.wait_for("POST", "/sentry/api/0/issues/1170820242/comments/")
    assert "blooopy is not defined" in note.body["text"]
    assert note.headers["authorization"] == "Bearer sentry-test-token"


def pull_ref(stack: Stack, number: int) -> None:
    """The pull request's head on the local git host, so its task can check it out."""
    bare = stack.env["GITHUB_GIT_URL"].removeprefix("file://") + "/Codertocat/Hello-World.git"
    ref = f"refs/pull/{number}/head"
    subprocess.run(["git", "-C", bare, "update-ref", ref, "refs/heads/main"], check=True)


def test_review_on_a_pull_request_is_given_its_diff(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    """The planning agent has no Bash to fetch the diff with: the system fetches it and puts it
    in the prompt, framed as data."""
    webhook_stack.client.post("/api/webhooks/templates/github-mention-bot")
    pull_ref(webhook_stack, 45)
    apis.fail("/pulls/45", 200, times=1, body="diff --git a/retry.py b/retry.py\n+RETRIES = 3\n")
    body = json.loads(comment("@agent review\n@stub text REVIEW: looks fine", 45, 9201))
    body["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/45"}
    raw = json.dumps(body).encode()
    response = post(webhook_stack, "/webhooks/github", raw, github_headers(raw, "issue_comment"))
    reviewed = delivery(webhook_stack, response.json()["delivery_id"])
    assert reviewed["outcome"] == "processed", reviewed
    fetched = apis.wait_for("GET", "/repos/Codertocat/Hello-World/pulls/45")
    assert fetched.headers["accept"] == "application/vnd.github.diff"
    task = webhook_stack.wait_done(reviewed["task_ids"][0])
    assert task["agent"] == "planning" and task["status"] == "completed", task["error"]
    assert "<pull_request_diff>\ndiff --git a/retry.py b/retry.py\n+RETRIES = 3\n" in task["prompt"]
    apis.wait_for("POST", "/issues/45/comments", lambda r: "REVIEW: looks fine" in r.text())


def test_the_pr_review_template_reviews_the_opened_pull_requests_diff(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    installed = webhook_stack.client.post("/api/webhooks/templates/github-pr-review")
    assert installed.status_code == 200, installed.text
    sample = next(
        s for s in SAMPLES if s["event"] == "pull_request" and s["payload"]["action"] == "opened"
    )["payload"]
    number = sample["pull_request"]["number"]
    pull_ref(webhook_stack, number)
    apis.fail(f"/pulls/{number}", 200, times=1, body="diff --git a/a.py b/a.py\n+OPENED = 1\n")
    raw = json.dumps(sample).encode()
    response = post(webhook_stack, "/webhooks/github", raw, github_headers(raw, "pull_request"))
    opened = delivery(webhook_stack, response.json()["delivery_id"])
    assert opened["outcome"] == "processed" and opened["commands"] == ["pr-review"], opened
    task = webhook_stack.wait_done(opened["task_ids"][0])
    assert task["status"] == "completed", task["error"]
    assert "<pull_request_diff>\ndiff --git a/a.py b/a.py\n+OPENED = 1\n" in task["prompt"]
    assert "curl" not in task["prompt"]
