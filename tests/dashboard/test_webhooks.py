"""Webhooks: create one with a secret, install a template on it, paste its URL into "GitHub"
(a signed delivery sent here), and see the delivery, its outcome and its task; redeliver it."""

import json
import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import sign_in
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import PAYLOADS, hexmac

SECRET = "dashboard-webhook-secret"


def mention(text: str) -> bytes:
    samples = json.loads((PAYLOADS / "github-examples.json").read_text())
    body = json.loads(json.dumps(next(s for s in samples if s["event"] == "issue_comment")))
    payload = body["payload"]
    payload["action"] = "created"
    payload["comment"].update(id=7001, body=text, author_association="MEMBER")
    payload["sender"]["type"] = "User"
    return json.dumps(payload).encode()


def test_install_a_template_and_see_a_signed_delivery(
    page: Page, dash: Stack, provider_apis: ProviderAPIs
) -> None:
    sign_in(page, dash, "/webhooks")
    new = page.get_by_role("form", name="New webhook")
    new.get_by_label("Name").fill("repo-bot")
    new.get_by_label("Provider").select_option("github")
    new.get_by_label("Secret").fill(SECRET)
    new.get_by_role("button", name="Create webhook").click()
    card = page.get_by_role("article", name="Webhook repo-bot")
    expect(card).to_contain_text("Secret: set")
    expect(page.get_by_text(SECRET)).to_have_count(0)  # write-only

    template = page.locator(".templates li", has_text="github-mention-bot")
    template.get_by_label("Install on").select_option(label="repo-bot")
    template.get_by_role("button", name="Install github-mention-bot").click()
    expect(card).to_contain_text("mention")
    url = card.locator(".webhook-url").inner_text()
    assert re.fullmatch(rf"http://127\.0\.0\.1:{dash.port}/webhooks/github/\w+", url)

    body = mention("@agent say hi\n@stub text Hello from the dashboard test")
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hexmac(SECRET, body),
    }
    answer = httpx.post(url, content=body, headers=headers)
    assert answer.status_code == 200, answer.text

    deliveries = page.get_by_role("table", name="Deliveries")
    row = deliveries.get_by_role("row", name=re.compile("issue_comment"))
    expect(row.first).to_contain_text("processed", timeout=60_000)
    task_link = row.first.get_by_role("link")
    expect(task_link).to_have_count(1)
    task_link.click()
    expect(page.locator(".task-head .badge")).to_have_text("completed", timeout=60_000)
    expect(page.locator(".facts")).to_contain_text("webhook")

    page.go_back()
    before = deliveries.get_by_role("row").count()
    row.first.get_by_role("button", name=re.compile("^Redeliver")).click()
    expect(deliveries.get_by_role("row")).to_have_count(before + 1)
