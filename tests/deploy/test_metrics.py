"""GET /api/metrics on a running system: Prometheus text, parsed with prometheus_client's own
parser, agreeing with what the API says of the same tasks; and the exit kinds named from the
worker's own error messages."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics.exits import exit_kind
from app.tasks.models import TaskStatus
from tests.conftest import running_stack
from tests.support.stack import Stack
from worker.cli import ResultLine
from worker.outcome import BUDGET_SUBTYPE, Run, outcome
from worker.watchdog import ENDED_ELSEWHERE, SHUTDOWN, TIMEOUT


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture(scope="module")
def finished(
    tmp_path_factory: pytest.TempPathFactory, stub_url: str
) -> Iterator[tuple[Stack, list[dict[str, Any]]]]:
    with running_stack(tmp_path_factory, stub_url) as system:
        prompts = ["@stub text one", "@stub text two", "@stub error 400 noretry"]
        tasks = [system.submit(prompt) for prompt in prompts]
        tasks.append(system.submit("@stub text by planning", agent="planning"))
        yield system, [system.wait_done(task["id"]) for task in tasks]


def test_metrics_are_prometheus_text_agreeing_with_the_tasks(
    finished: tuple[Stack, list[dict[str, Any]]],
) -> None:
    stack, tasks = finished
    response = stack.client.get("/api/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = _samples(response.text)

    statuses = [task["status"] for task in tasks]
    assert statuses == ["completed", "completed", "failed", "completed"], tasks
    assert samples[("ccagent_tasks", (("agent", ""), ("status", "completed")))] == 2
    assert samples[("ccagent_tasks", (("agent", "planning"), ("status", "completed")))] == 1
    assert samples[("ccagent_tasks", (("agent", ""), ("status", "failed")))] == 1
    assert samples[("ccagent_tasks", (("agent", ""), ("status", "queued")))] == 0

    assert samples[("ccagent_cost_usd_total", ())] == pytest.approx(
        sum(task["cost_usd"] or 0 for task in tasks)
    )
    assert samples[("ccagent_tokens_total", (("kind", "output"),))] == sum(
        task["output_tokens"] or 0 for task in tasks
    )
    assert samples[("ccagent_cli_exits_total", (("kind", "success"),))] == 3
    assert samples[("ccagent_cli_exits_total", (("kind", "cli_error"),))] == 1

    # Every task started and finished: each histogram counts all four, cumulative to +Inf.
    for name in ("ccagent_task_duration_seconds", "ccagent_task_queue_seconds"):
        assert samples[(f"{name}_count", ())] == 4
        assert samples[(f"{name}_bucket", (("le", "+Inf"),))] == 4
        assert samples[(f"{name}_sum", ())] > 0
    wall = sum(_seconds(task["started_at"], task["finished_at"]) for task in tasks)
    assert samples[("ccagent_task_duration_seconds_sum", ())] == pytest.approx(wall, rel=1e-3)

    assert samples[("ccagent_redis_up", ())] == 1
    assert samples[("ccagent_queue_length", ())] == 0
    workers = [key for key in samples if key[0] == "ccagent_worker_concurrency"]
    assert len(workers) == 1 and samples[workers[0]] == 3  # the stack's MAX_CONCURRENT_TASKS
    assert ("ccagent_stream_subscriptions", ()) in samples


def test_status_counts_the_tasks_and_their_cost(
    finished: tuple[Stack, list[dict[str, Any]]],
) -> None:
    """/api/status (the Status page, an autoscaler's `active_tasks`) reads the same tallies."""
    stack, tasks = finished
    status = stack.client.get("/api/status").json()
    assert status["tasks_by_status"] == {
        "queued": 0,
        "running": 0,
        "completed": 3,
        "failed": 1,
        "cancelled": 0,
    }
    assert status["active_tasks"] == 0
    assert status["total_cost_usd"] == pytest.approx(sum(t["cost_usd"] or 0 for t in tasks))
    assert status["total_cost_usd"] > 0


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_metrics_need_the_token(finished: tuple[Stack, list[dict[str, Any]]]) -> None:
    stack, _ = finished
    url = f"{stack.client.base_url}/api/metrics"
    assert httpx.get(url).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code in {401, 403}
    assert "ccagent_" not in wrong.text


def _failure(**seen: Any) -> str:
    run = Run(**{**QUIET, **seen})
    status, values = outcome(run)
    assert status == TaskStatus.FAILED
    return str(values["error"])


QUIET = {
    "stop_reason": None,
    "result": None,
    "exit_code": 0,
    "stderr_tail": "",
    "printed": True,
    "timeout_seconds": 60,
}


def test_exit_kinds_match_the_messages_the_worker_writes() -> None:
    """The worker's own messages (worker.outcome, the sweeper's) are named by the rule the
    metrics' tallies use."""
    error_result = ResultLine.parse({"type": "result", "subtype": "error_max_turns"})
    over_budget = ResultLine.parse({"type": "result", "subtype": BUDGET_SUBTYPE})
    cases = {
        "timeout": _failure(stop_reason=TIMEOUT),
        "worker_shutdown": _failure(stop_reason=SHUTDOWN),
        "ended_elsewhere": _failure(stop_reason=ENDED_ELSEWHERE),
        "over_budget": _failure(result=over_budget, max_budget_usd=0.01),
        "no_output": _failure(printed=False),
        "crashed": _failure(exit_code=-9),
        "no_result": _failure(),
        "cli_error": _failure(result=error_result),
        "worker_lost": "Worker w1@h:12 stopped responding (no heartbeat for more than 60 s)",
    }
    named = {kind: exit_kind(TaskStatus.FAILED, error) for kind, error in cases.items()}
    assert named == {kind: kind for kind in cases}
    assert exit_kind(TaskStatus.COMPLETED, None) == "success"
    assert exit_kind(TaskStatus.CANCELLED, "Stopped by user") == "cancelled"
