"""The budget is a limit: checked again when a worker claims a task, handed to the CLI as
--max-budget-usd (the smaller of the task's own cap and what is left of the day), and what a run
that was stopped is known to have used is kept."""

import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.support.stack import Stack

# The stub's cheapest reply costs about $0.0001 (the CLI's price for its token counts).
SPEND = "@stub text spend"


def _stub_saw(stub_url: str, marker: str) -> bool:
    bodies = httpx.get(f"{stub_url}/_stub/requests", timeout=10).json()
    return any(marker in str(body) for body in bodies)


def test_a_task_queued_before_the_budget_was_spent_is_refused_when_claimed(
    make_stack: Callable[..., Stack], stub_url: str
) -> None:
    stack = make_stack(DAILY_BUDGET_USD="0.0001")
    stack.start_api()  # no worker yet: both tasks wait, accepted while nothing is spent
    first = stack.submit(SPEND)
    marker = f"never-{uuid.uuid4().hex}"
    second = stack.submit(f"{marker}\n@stub text should not run")
    stack.start_worker(MAX_CONCURRENT_TASKS=1)

    spent = stack.wait_done(first["id"])
    assert spent["cost_usd"] > 0.0001  # capped at what was left, past it after one reply
    refused = stack.wait_done(second["id"])
    assert refused["status"] == "failed", refused
    assert "daily budget of $0.00 is spent" in refused["error"]
    assert refused["started_at"] is None and refused["cost_usd"] is None
    assert not _stub_saw(stub_url, marker), "the refused task never reached the model"


def test_a_run_stops_at_its_cap(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(TASK_MAX_BUDGET_USD="0.00001")
    stack.start_api()
    stack.start_worker()
    capped = stack.submit(SPEND)
    assert capped["max_budget_usd"] == 0.00001  # the setting, for a task that names none
    done = stack.wait_done(capped["id"])
    assert done["status"] == "failed", done
    assert done["error"].startswith("Stopped at its spending cap of $1e-05 after spending $0.0001")
    assert done["cost_usd"] > 0.00001  # the CLI's own total: recorded, and counted
    last = json.loads(stack.output_lines(capped["id"])[-1]["line"])
    assert last["subtype"] == "error_max_budget_usd"

    roomy = stack.wait_done(stack.submit(SPEND, max_budget_usd=1)["id"])
    assert roomy["status"] == "completed" and roomy["max_budget_usd"] == 1
    chat = stack.client.post("/api/chat", json={"message": SPEND, "max_budget_usd": 0.00001})
    assert chat.status_code == 202, chat.text
    assert stack.wait_done(chat.json()["task_id"])["status"] == "failed"


@pytest.mark.parametrize("cap", [0, -1, "1", True, "NaN"], ids=repr)
def test_a_bad_cap_is_refused(stack: Stack, cap: object) -> None:
    for path, body in (("/api/tasks", {"prompt": "x"}), ("/api/chat", {"message": "x"})):
        response = stack.client.post(path, json={**body, "max_budget_usd": cap})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"][-1] == "max_budget_usd"
    infinite = stack.client.post(
        "/api/tasks",
        content=b'{"prompt": "x", "max_budget_usd": 1e400}',
        headers={"content-type": "application/json"},
    )
    assert infinite.status_code == 422


def test_a_stopped_run_keeps_the_tokens_it_is_known_to_have_used(stack: Stack) -> None:
    marker = f"mark-{uuid.uuid4().hex}"
    task = stack.submit(f"@stub bash python3 -c 'import time; time.sleep(300)' {marker}")
    stack.wait_for_process(task["id"], marker)
    assert stack.client.post(f"/api/tasks/{task['id']}/stop").status_code == 200
    done = stack.wait_done(task["id"], timeout=20)
    assert done["status"] == "cancelled"
    # The reply that asked for the tool was counted; the CLI reports no cost before its end.
    assert done["input_tokens"] > 0 and done["output_tokens"] > 0
    assert done["cost_usd"] is None
