"""A delivery the API recorded but did not finish processing (it died) is processed later by
the sweeper, once: the task is started exactly once."""

import json
from collections.abc import Iterator

import pytest

from tests.conftest import running_stack
from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.webhooks.conftest import PAYLOADS, github_headers, post, stack_settings


@pytest.fixture(scope="module")
def quick_sweep_stack(
    tmp_path_factory: pytest.TempPathFactory, stub_url: str, apis: ProviderAPIs
) -> Iterator[Stack]:
    overrides = {
        **stack_settings(tmp_path_factory.mktemp("git"), apis),
        "WEBHOOK_SWEEP_AFTER_SECONDS": "0.2",
    }
    with running_stack(tmp_path_factory, stub_url, **overrides) as system:
        yield system


def test_a_delivery_left_unprocessed_by_a_dead_api_is_processed_after_restart(
    quick_sweep_stack: Stack, apis: ProviderAPIs
) -> None:
    stack = quick_sweep_stack
    assert stack.client.post("/api/webhooks/templates/github-mention-bot").status_code == 200
    sample = next(
        s
        for s in json.loads((PAYLOADS / "github-examples.json").read_text())
        if s["event"] == "issue_comment"
    )["payload"]
    sample["action"] = "created"
    sample["issue"]["number"] = 88
    sample["comment"].update(
        id=9801, body="@agent hi\n@stub text swept", author_association="OWNER"
    )
    body = json.dumps(sample).encode()
    # The reaction hangs, so the API is killed while it processes the delivery.
    apis.fail("/comments/9801/reactions", 201, times=1, body={"id": 1}, delay=30)
    accepted = post(stack, "/webhooks/github", body, github_headers(body, "issue_comment"))
    assert accepted.status_code == 200 and accepted.json()["outcome"] == "accepted"
    apis.wait_for("POST", "/comments/9801/reactions")
    assert stack.api is not None
    stack.api.kill_group()
    stack.start_api()

    def concluded() -> dict[str, object] | None:
        found = stack.client.get(f"/api/webhooks/deliveries/{accepted.json()['delivery_id']}")
        data = dict(found.json())
        return data if data["outcome"] not in ("accepted", "processing") else None

    found = wait_until(concluded, 60, what="the sweeper to process the delivery")
    assert found["outcome"] == "processed" and found["attempts"] == 2
    assert len(found["task_ids"]) == 1
    apis.wait_for("POST", "/issues/88/comments", lambda r: "swept" in r.text())
    tasks = stack.client.get("/api/tasks", params={"source": "webhook:github"}).json()
    assert tasks["total"] == 1
