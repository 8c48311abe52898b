"""Agents never hold provider credentials: a webhook task's token acts on its own thread
through this API, which calls the provider with the system's credentials."""

import json

import httpx

from app.webhooks import own_posts
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import PAYLOADS, delivery, github_headers, post, task_token

SAMPLES = json.loads((PAYLOADS / "github-examples.json").read_text())


def as_task(stack: Stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{stack.port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_webhook_task_acts_on_its_own_thread_only(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    assert (
        webhook_stack.client.post("/api/webhooks/templates/github-mention-bot").status_code == 200
    )
    sample = next(s for s in SAMPLES if s["event"] == "issue_comment")["payload"]
    event = json.loads(json.dumps(sample))
    event["action"] = "created"
    event["issue"]["number"] = 77
    event["comment"].update(id=9701, body="@agent fix\n@stub slow 60", author_association="OWNER")
    body = json.dumps(event).encode()
    accepted = post(webhook_stack, "/webhooks/github", body, github_headers(body, "issue_comment"))
    task_id = delivery(webhook_stack, accepted.json()["delivery_id"])["task_ids"][0]
    webhook_stack.wait_status(task_id, {"running"})

    with as_task(webhook_stack, task_token(task_id)) as agent:
        thread = agent.get("/api/threads/current")
        assert thread.status_code == 200, thread.text
        assert thread.json()["key"] == "github:Codertocat/Hello-World#77"
        made = agent.post("/api/threads/current/comments", json={"body": "from the agent"})
        assert made.status_code == 201, made.text
        sent = apis.wait_for(
            "POST",
            "/issues/77/comments",
            lambda r: r.body == {"body": own_posts.hidden("from the agent")},
        )
        assert sent.headers["authorization"] == "Bearer ghp-test-token"  # the system's own
        assert agent.post("/api/threads/current/labels", json={"labels": ["x"]}).status_code == 204
        assert apis.wait_for("POST", "/issues/77/labels").body == {"labels": ["x"]}
        assert (
            agent.post("/api/threads/current/reactions", json={"content": "rocket"}).status_code
            == 204
        )
        not_a_pr = agent.get("/api/threads/current/diff")
        assert not_a_pr.status_code == 400 and "pull request" in not_a_pr.json()["detail"]
        assert agent.get("/api/webhooks").status_code == 403  # configuration is the admin's
        assert agent.post("/api/webhooks/templates/slack-mention").status_code == 403

    assert webhook_stack.client.get("/api/threads/current").status_code == 403  # admin: no thread
    chat = webhook_stack.client.post("/api/chat", json={"message": "hi\n@stub slow 60"})
    chat_task = chat.json()["task_id"]
    webhook_stack.wait_status(chat_task, {"running"})
    with as_task(webhook_stack, task_token(chat_task)) as dashboard_run:
        refused = dashboard_run.post("/api/threads/current/comments", json={"body": "x"})
        assert refused.status_code == 403

    for running in (task_id, chat_task):
        webhook_stack.client.post(f"/api/tasks/{running}/stop")
        webhook_stack.wait_done(running)
    with as_task(webhook_stack, task_token(task_id)) as ended:
        assert ended.get("/api/threads/current").status_code == 401  # its token ended with it
