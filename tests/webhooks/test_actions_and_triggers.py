"""Outbound calls retried (502, 429 with Retry-After), failures recorded with the provider's
own words (Slack's 200 ok=false too), `forward` signed with our HMAC; and who may trigger:
allowed actors only, and never a bot or the system itself."""

import hashlib
import hmac
import json
from typing import Any

from app.webhooks import verbs
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import (
    PAYLOADS,
    SECRETS,
    delivery,
    github_headers,
    jira_headers,
    payload,
    post,
    sentry_headers,
    slack_headers,
)

SAMPLES = json.loads((PAYLOADS / "github-examples.json").read_text())
REACT = [{"type": "github_reaction", "content": "eyes"}]


def webhook(stack: Stack, provider: str, actions: list[dict[str, Any]], **fields: Any) -> str:
    events = {
        "github": "issue_comment.created",
        "slack": "app_mention",
        "jira": "comment_created",
        "sentry": "issue.created",
    }[provider]
    body = {
        "name": f"{provider}-{len(stack.client.get('/api/webhooks').json()['items'])}",
        "provider": provider,
        "secret": SECRETS[
            {
                "github": "GITHUB_WEBHOOK_SECRET",
                "slack": "SLACK_SIGNING_SECRET",
                "jira": "JIRA_WEBHOOK_SECRET",
                "sentry": "SENTRY_CLIENT_SECRET",
            }[provider]
        ],
        "commands": [{"name": "c", "trigger": {"events": [events]}, "actions": actions}],
        **fields,
    }
    made = stack.client.post("/api/webhooks", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def github_comment(
    stack: Stack,
    webhook_id: str,
    comment_id: int,
    association: str = "OWNER",
    login: str = "Codertocat",
    kind: str = "User",
    text: str = "@agent look",
) -> dict[str, Any]:
    sample = next(s for s in SAMPLES if s["event"] == "issue_comment")["payload"]
    event: dict[str, Any] = json.loads(json.dumps(sample))
    event["action"] = "created"
    event["comment"].update(id=comment_id, body=text, author_association=association)
    event["sender"].update(login=login, type=kind)
    body = json.dumps(event).encode()
    response = post(
        stack, f"/webhooks/github/{webhook_id}", body, github_headers(body, "issue_comment")
    )
    assert response.status_code == 200, response.text
    return delivery(stack, response.json()["delivery_id"])


def test_an_outbound_502_twice_then_success_is_retried(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(webhook_stack, "github", REACT)
    apis.fail("/comments/9501/reactions", 502, times=2)
    found = github_comment(webhook_stack, hook, 9501)
    assert found["outcome"] == "processed", found
    assert len(apis.matching("POST", "/comments/9501/reactions")) == 3


def test_a_429_is_retried_after_what_retry_after_says(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(webhook_stack, "github", REACT)
    apis.fail("/comments/9502/reactions", 429, times=1, **{"Retry-After": "1"})
    assert github_comment(webhook_stack, hook, 9502)["outcome"] == "processed"
    assert len(apis.matching("POST", "/comments/9502/reactions")) == 2


def test_a_call_that_keeps_failing_leaves_the_delivery_failed_with_the_reason(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(webhook_stack, "github", REACT)
    apis.fail(
        "/comments/9503/reactions", 502, times=100, body={"message": "GitHub is having a bad day"}
    )
    found = github_comment(webhook_stack, hook, 9503)
    assert found["outcome"] == "failed"
    assert "502" in found["reason"] and "GitHub is having a bad day" in found["reason"]
    assert len(apis.matching("POST", "/comments/9503/reactions")) == 3  # WEBHOOK_RETRY_ATTEMPTS


def test_slack_ok_false_is_an_error(webhook_stack: Stack, apis: ProviderAPIs) -> None:
    hook = webhook(webhook_stack, "slack", [{"type": "comment", "text": "hello {{ actor }}"}])
    apis.fail("/chat.postMessage", 200, times=1, body={"ok": False, "error": "channel_not_found"})
    event = payload("slack-app-mention.json")
    event["event_id"] = "EvOKFALSE1"
    body = json.dumps(event).encode()
    response = post(webhook_stack, f"/webhooks/slack/{hook}", body, slack_headers(body))
    found = delivery(webhook_stack, response.json()["delivery_id"])
    assert found["outcome"] == "failed" and "channel_not_found" in found["reason"]


def test_forward_posts_the_event_signed_with_our_hmac(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(
        webhook_stack, "github", [{"type": "forward", "url": f"{apis.url}/forward/here"}]
    )
    found = github_comment(webhook_stack, hook, 9504)
    assert found["outcome"] == "processed", found
    forwarded = apis.wait_for("POST", "/forward/here")
    raw = json.dumps(forwarded.body).encode()
    sent_body = webhook_stack.client.get(f"/api/webhooks/deliveries/{found['id']}").json()["body"]
    assert json.loads(sent_body) == forwarded.body and raw
    key = SECRETS["GENERIC_WEBHOOK_SECRET"].encode()
    expected = "sha256=" + hmac.new(key, sent_body.encode(), hashlib.sha256).hexdigest()
    assert forwarded.headers["x-webhook-signature"] == expected
    assert forwarded.headers["x-webhook-event"] == "issue_comment.created"


def test_github_actors_not_allowed_and_bots_never_trigger(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(webhook_stack, "github", REACT)
    cases = [
        (dict(comment_id=9601, association="NONE"), "author_association NONE"),
        (dict(comment_id=9602, association="CONTRIBUTOR"), "author_association CONTRIBUTOR"),
        (dict(comment_id=9603, kind="Bot", login="dependabot[bot]"), "bot"),
        (dict(comment_id=9604, login="agent-bot"), "bot"),  # GITHUB_BOT_LOGIN: itself
    ]
    for fields, why in cases:
        found = github_comment(webhook_stack, hook, **fields)  # type: ignore[arg-type]
        assert found["outcome"] == "ignored" and why in found["reason"], found
    allowed = webhook(webhook_stack, "github", REACT, allowed_actors=["octocat"])
    assert (
        github_comment(webhook_stack, allowed, 9605, association="NONE", login="octocat")["outcome"]
        == "processed"
    )
    assert github_comment(webhook_stack, allowed, 9606, association="OWNER")["outcome"] == "ignored"
    for number in (9601, 9602, 9603, 9604, 9606):
        assert apis.matching("POST", f"/comments/{number}/reactions") == []


def test_slack_jira_and_sentry_allow_lists_and_their_own_accounts(webhook_stack: Stack) -> None:
    comment = [{"type": "comment", "text": "hi"}]
    slack = webhook(webhook_stack, "slack", comment, allowed_actors=["UALLOWED"])
    event = payload("slack-app-mention.json")
    for event_id, user, expected in [
        ("EvA1", "W021FGA1Z", "not in the allow-list"),
        ("EvA2", "UBOTSELF", "bot"),
    ]:
        event["event_id"], event["event"]["user"] = event_id, user
        body = json.dumps(event).encode()
        response = post(webhook_stack, f"/webhooks/slack/{slack}", body, slack_headers(body))
        found = delivery(webhook_stack, response.json()["delivery_id"])
        assert found["outcome"] == "ignored" and expected in found["reason"], found

    jira = webhook(webhook_stack, "jira", comment, allowed_actors=["someone-else"])
    event = payload("jira-comment-created.json")
    body = json.dumps(event).encode()
    found = delivery(
        webhook_stack,
        post(webhook_stack, f"/webhooks/jira/{jira}", body, jira_headers(body)).json()[
            "delivery_id"
        ],
    )
    assert found["outcome"] == "ignored" and "not in the allow-list" in found["reason"]
    event["comment"]["author"]["accountType"] = "app"
    body = json.dumps(event).encode()
    found = delivery(
        webhook_stack,
        post(webhook_stack, f"/webhooks/jira/{jira}", body, jira_headers(body)).json()[
            "delivery_id"
        ],
    )
    assert found["outcome"] == "ignored" and "bot" in found["reason"]

    sentry = webhook(webhook_stack, "sentry", comment, allowed_actors=["another-installation"])
    body = (PAYLOADS / "sentry-issue-created.json").read_bytes()
    response = post(
        webhook_stack, f"/webhooks/sentry/{sentry}", body, sentry_headers(body, "issue")
    )
    found = delivery(webhook_stack, response.json()["delivery_id"])
    assert found["outcome"] == "ignored" and "installation" in found["reason"]


def test_ask_posts_a_question_and_the_next_message_on_the_thread_answers_it(
    webhook_stack: Stack, apis: ProviderAPIs
) -> None:
    hook = webhook(
        webhook_stack, "slack", [{"type": "ask", "text": "Which environment, {{ actor }}?"}]
    )
    event = payload("slack-app-mention.json")
    event["event_id"] = "EvASK00001"
    event["event"].update(ts="1700001000.000100", text="<@U0LAN0Z89> deploy please")
    body = json.dumps(event).encode()
    asked = delivery(
        webhook_stack,
        post(webhook_stack, f"/webhooks/slack/{hook}", body, slack_headers(body)).json()[
            "delivery_id"
        ],
    )
    assert asked["outcome"] == "processed" and asked["task_ids"] == []
    question = apis.wait_for("POST", "/chat.postMessage", lambda r: "Which environment" in r.text())
    assert question.body["thread_ts"] == "1700001000.000100"

    reply = payload("slack-app-mention.json")
    reply["event_id"] = "EvASK00002"
    reply["event"] = {
        "type": "message",
        "channel": "C0LAN2Q65",
        "user": "W021FGA1Z",
        "text": "staging\n@stub text deploying to staging",
        "ts": "1700001001.000200",
        "thread_ts": "1700001000.000100",
    }
    body = json.dumps(reply).encode()
    answered = delivery(
        webhook_stack,
        post(webhook_stack, f"/webhooks/slack/{hook}", body, slack_headers(body)).json()[
            "delivery_id"
        ],
    )
    assert answered["commands"] == ["answer"] and len(answered["task_ids"]) == 1
    task = webhook_stack.wait_done(answered["task_ids"][0])
    assert task["conversation_id"] and "deploy please" in task["prompt"]  # the same conversation
    apis.wait_for(
        "POST",
        "/chat.postMessage",
        lambda r: "deploying to staging" in r.text() and r.body["thread_ts"] == "1700001000.000100",
    )


def test_our_own_posts_coming_back_never_trigger(webhook_stack: Stack, apis: ProviderAPIs) -> None:
    """The bot's login is not known here (GITHUB_BOT_LOGIN matches nobody): the marker on every
    text we post is what tells the reply, help text and all, from a human's comment."""
    hook = webhook(webhook_stack, "github", [{"type": "create_task"}])
    helped = github_comment(webhook_stack, hook, 9701, login="a-member", text="@agent help")
    assert helped["outcome"] == "processed", helped
    posted = apis.wait_for("POST", "/issues/1/comments", lambda r: "followed by a verb" in r.text())
    back = github_comment(webhook_stack, hook, 9702, login="a-member", text=posted.body["body"])
    assert back["outcome"] == "ignored" and "our own post" in back["reason"], back
    assert back["task_ids"] == []
    quoted = "> " + posted.body["body"].replace("\n", "\n> ") + "\n\n@agent help"
    again = github_comment(webhook_stack, hook, 9703, login="a-member", text=quoted)
    assert again["outcome"] == "processed", again  # a human quoting us still asks


def test_a_mention_inside_code_is_not_a_command() -> None:
    assert verbs.parse("Reply `@agent approve` to run it").mentioned is False
    assert verbs.parse("```\n@agent fix\n```\nas shown").mentioned is False
    asked = verbs.parse("see `x` then @agent fix the `y` bug")
    assert asked.verb == "fix" and asked.request == "the `y` bug"
