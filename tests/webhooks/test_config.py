"""Webhook configuration at run time: webhooks and commands, templates, write-only secrets."""

from tests.support.stack import Stack

COMMAND = {
    "name": "mention",
    "trigger": {"events": ["issue_comment.created"], "mention": True},
    "actions": [{"type": "github_reaction"}, {"type": "create_task"}],
}


def test_create_read_update_delete_a_webhook_and_its_commands(webhook_stack: Stack) -> None:
    client = webhook_stack.client
    made = client.post(
        "/api/webhooks",
        json={
            "name": "team-repo",
            "provider": "github",
            "secret": "s3cr3t-value",
            "max_budget_usd": 2.5,
            "commands": [COMMAND],
        },
    )
    assert made.status_code == 201, made.text
    webhook = made.json()
    assert webhook["url"] == f"/webhooks/github/{webhook['id']}"
    assert webhook["has_secret"] is True and "secret" not in webhook
    assert "s3cr3t-value" not in made.text
    assert [c["name"] for c in webhook["commands"]] == ["mention"]

    listed = client.get("/api/webhooks").json()["items"]
    assert any(w["id"] == webhook["id"] for w in listed)
    assert "s3cr3t-value" not in client.get("/api/webhooks").text

    second = {
        **COMMAND,
        "name": "labels",
        "priority": 5,
        "trigger": {"events": ["issues.opened"]},
        "actions": [{"type": "github_label", "labels": ["triage"]}],
    }
    put = client.put(f"/api/webhooks/{webhook['id']}/commands", json=[second])
    assert [c["name"] for c in put.json()["commands"]] == ["labels", "mention"]  # by priority

    patched = client.patch(f"/api/webhooks/{webhook['id']}", json={"enabled": False})
    assert patched.json()["enabled"] is False and patched.json()["has_secret"] is True

    removed = client.delete(f"/api/webhooks/{webhook['id']}/commands/labels")
    assert [c["name"] for c in removed.json()["commands"]] == ["mention"]
    assert client.delete(f"/api/webhooks/{webhook['id']}").status_code == 204
    assert client.get(f"/api/webhooks/{webhook['id']}").status_code == 404


def test_an_invalid_configuration_gets_a_4xx_naming_the_field_and_changes_nothing(
    webhook_stack: Stack,
) -> None:
    client = webhook_stack.client
    made = client.post("/api/webhooks", json={"name": "valid", "provider": "jira", "secret": "x"})
    assert made.status_code == 201
    webhook_id = made.json()["id"]
    bad_bodies = [
        ({"name": "Bad Name", "provider": "github"}, "name"),
        ({"name": "ok", "provider": "gitlab"}, "provider"),
        ({"name": "ok", "provider": "github", "max_budget_usd": -1}, "max_budget_usd"),
        (
            {
                "name": "ok",
                "provider": "github",
                "commands": [{**COMMAND, "prompt_template": "{% if %}"}],
            },
            "prompt_template",
        ),
        (
            {
                "name": "ok",
                "provider": "github",
                "commands": [{**COMMAND, "actions": [{"type": "explode"}]}],
            },
            "type",
        ),
        (
            {
                "name": "ok",
                "provider": "github",
                "commands": [{**COMMAND, "trigger": {"events": []}}],
            },
            "events",
        ),
        (
            {
                "name": "ok",
                "provider": "github",
                "commands": [{**COMMAND, "actions": [{"type": "forward", "url": "file:///etc"}]}],
            },
            "url",
        ),
    ]
    before = client.get("/api/webhooks").json()
    for body, field in bad_bodies:
        response = client.post("/api/webhooks", json=body)
        assert response.status_code == 422, (body, response.text)
        assert any(field in map(str, problem["loc"]) for problem in response.json()["detail"])
    bad_patch = client.patch(
        f"/api/webhooks/{webhook_id}", json={"commands": [{**COMMAND, "agent": "../etc"}]}
    )
    assert bad_patch.status_code == 422 and "agent" in bad_patch.text
    assert client.get("/api/webhooks").json() == before
    taken = client.post("/api/webhooks", json={"name": "valid", "provider": "github"})
    assert taken.status_code == 409


def test_templates_are_listed_and_installed_with_one_call(webhook_stack: Stack) -> None:
    client = webhook_stack.client
    names = {t["name"] for t in client.get("/api/webhooks/templates").json()["items"]}
    assert names == {
        "github-mention-bot",
        "github-issue-tracking",
        "github-pr-review",
        "jira-sync",
        "slack-mention",
        "sentry-alert",
    }
    installed = client.post("/api/webhooks/templates/github-issue-tracking")
    assert installed.status_code == 200, installed.text
    default = installed.json()
    assert default["id"] == "github" and default["url"] == "/webhooks/github"
    assert default["has_secret"] is True  # GITHUB_WEBHOOK_SECRET, from settings
    assert "issue-opened" in [c["name"] for c in default["commands"]]
    again = client.post("/api/webhooks/templates/github-issue-tracking")
    assert [c["name"] for c in again.json()["commands"]].count("issue-opened") == 1

    slack = client.post("/api/webhooks/templates/sentry-alert", json={"slack_channel": "C0ALERTS"})
    assert slack.json()["commands"][0]["reply_channel"] == "C0ALERTS"
    assert client.post("/api/webhooks/templates/no-such").status_code == 404
    jira = client.post("/api/webhooks", json={"name": "jira2", "provider": "jira", "secret": "j"})
    wrong = client.post(
        "/api/webhooks/templates/slack-mention", json={"webhook_id": jira.json()["id"]}
    )
    assert wrong.status_code == 409


def test_configuration_needs_the_admin_token(webhook_stack: Stack) -> None:
    import httpx

    base = f"http://127.0.0.1:{webhook_stack.port}"
    assert httpx.get(f"{base}/api/webhooks").status_code == 401
    assert httpx.get(f"{base}/api/webhooks/deliveries").status_code == 401
    assert httpx.post(f"{base}/api/webhooks/templates/slack-mention").status_code == 401


def test_a_refused_configuration_never_echoes_a_secret(webhook_stack: Stack) -> None:
    """The secret is write-only: a 422 names what is wrong without echoing it, whether it is
    inside the body echoed (a missing name) or the very field refused (a wrong type)."""
    client = webhook_stack.client
    refused = [
        client.post("/api/webhooks", json={"provider": "github", "secret": "topsecret-value"}),
        client.post(
            "/api/webhooks",
            json={"name": "ok", "provider": "github", "secret": {"value": "topsecret-value"}},
        ),
        client.post(
            "/api/webhooks",
            json={"name": "ok", "provider": "github", "api_token": "topsecret-value"},
        ),
    ]
    made = client.post("/api/webhooks", json={"name": "echo", "provider": "jira", "secret": "x"})
    refused.append(
        client.patch(
            f"/api/webhooks/{made.json()['id']}",
            json={"secret": ["topsecret-value"], "max_budget_usd": "lots"},
        )
    )
    for response in refused:
        assert response.status_code == 422, response.text
        assert response.json()["detail"], response.text
        assert "topsecret" not in response.text, response.text
    assert refused[0].json()["detail"][0]["loc"] == ["body", "name"]
