"""What a run's end means for its task: pure functions, checked case by case."""

import json
from typing import Any

import pytest

from app.tasks.models import TaskStatus
from worker.cli import ResultLine
from worker.outcome import Run, UsageTally, outcome, parse_result

SUCCESS = {
    "type": "result",
    "subtype": "success",
    "is_error": False,
    "result": "done",
    "total_cost_usd": 0.25,
    "usage": {
        "input_tokens": 10,
        "output_tokens": 20,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 4,
    },
    "num_turns": 2,
    "duration_ms": 1500,
    "session_id": "cli-session",
}
# As the CLI 2.1.332 prints it when --max-budget-usd is reached (result is null).
OVER_BUDGET = {
    "type": "result",
    "subtype": "error_max_budget_usd",
    "is_error": True,
    "result": None,
    "errors": ["Reached maximum budget ($1e-7)"],
    "total_cost_usd": 0.000358,
    "num_turns": 1,
}


def _run(**fields: Any) -> Run:
    defaults: dict[str, Any] = {
        "stop_reason": None,
        "result": None,
        "exit_code": 0,
        "stderr_tail": "",
        "printed": True,
        "timeout_seconds": 60,
    }
    return Run(**{**defaults, **fields})


def test_result_line_fields_land_on_the_task() -> None:
    line = ResultLine.parse(SUCCESS)
    assert (line.is_error, line.subtype, line.text) == (False, "success", "done")
    assert line.task_fields() == {
        "cost_usd": 0.25,
        "input_tokens": 10,
        "output_tokens": 20,
        "cache_creation_tokens": 3,
        "cache_read_tokens": 4,
        "num_turns": 2,
        "duration_ms": 1500,
        "cli_session_id": "cli-session",
    }


@pytest.mark.parametrize(
    ("line", "is_error", "text"),
    [
        ({"type": "result", "subtype": "success", "result": None}, False, None),
        ({"type": "result", "subtype": "error_max_turns"}, True, "Claude Code stopped: max turns"),
        ({"type": "result", "subtype": "success", "is_error": True, "result": "401"}, True, "401"),
        (OVER_BUDGET, True, "Reached maximum budget ($1e-7)"),
        ({"type": "result"}, True, "Claude Code stopped: unknown error"),
    ],
)
def test_result_line_errors_and_texts(line: dict[str, Any], is_error: bool, text: str) -> None:
    parsed = ResultLine.parse(line)
    assert (parsed.is_error, parsed.text) == (is_error, text)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "3", True, None, [1]], ids=repr)
def test_result_line_numbers_the_database_cannot_hold_are_dropped(value: object) -> None:
    parsed = ResultLine.parse({**SUCCESS, "total_cost_usd": value, "num_turns": value})
    assert parsed.cost_usd is None and parsed.num_turns is None
    assert ResultLine.parse({**SUCCESS, "num_turns": 2**70}).num_turns is None  # past 64 bits


def test_parse_result_takes_only_result_lines() -> None:
    assert parse_result(json.dumps(SUCCESS)) == ResultLine.parse(SUCCESS)
    assert parse_result('{"type":"assistant"}') is None
    assert parse_result('{"type":"result"') is None  # cut short
    assert parse_result("[1]") is None


def test_success_completes_with_the_result() -> None:
    status, values = outcome(_run(result=ResultLine.parse(SUCCESS)))
    assert status is TaskStatus.COMPLETED
    assert values["result"] == "done" and values["cost_usd"] == 0.25


def test_the_spending_cap_fails_with_a_clear_message_and_the_cost() -> None:
    status, values = outcome(
        _run(result=ResultLine.parse(OVER_BUDGET), exit_code=1, max_budget_usd=0.0001)
    )
    assert status is TaskStatus.FAILED
    assert values["error"].startswith(
        "Stopped at its spending cap of $0.0001 after spending $0.0004"
    )
    assert values["cost_usd"] == 0.000358


@pytest.mark.parametrize(
    ("reason", "status", "error"),
    [
        ("cancel", TaskStatus.CANCELLED, "Stopped by user"),
        ("shutdown", TaskStatus.FAILED, "The worker shut down while the task was running"),
        ("ended", TaskStatus.FAILED, "The task ended elsewhere while it ran; the run stopped"),
        ("timeout", TaskStatus.FAILED, "Timed out after 60 s; the run was stopped"),
    ],
)
def test_a_stopped_run_keeps_what_it_is_known_to_have_used(
    reason: str, status: TaskStatus, error: str
) -> None:
    got, values = outcome(_run(stop_reason=reason, usage={"input_tokens": 7, "output_tokens": 1}))
    assert (got, values["error"]) == (status, error)
    assert (values["input_tokens"], values["output_tokens"]) == (7, 1)
    assert "cost_usd" not in values  # the CLI reported none: unknown, not guessed


@pytest.mark.parametrize(
    ("exit_code", "printed", "stderr", "error"),
    [
        (0, False, "", "Claude Code CLI exited with code 0 without printing anything"),
        (
            -11,
            True,
            "boom",
            "Claude Code CLI was killed by signal SIGSEGV before reporting a result: boom",
        ),
        (3, True, "", "Claude Code CLI exited with code 3 before reporting a result"),
        (0, True, "", "Claude Code CLI ended without a result line"),
    ],
)
def test_a_run_without_a_result_says_how_it_ended(
    exit_code: int, printed: bool, stderr: str, error: str
) -> None:
    status, values = outcome(_run(exit_code=exit_code, printed=printed, stderr_tail=stderr))
    assert (status, values["error"]) == (TaskStatus.FAILED, error)


def test_usage_is_counted_once_per_model_reply() -> None:
    tally = UsageTally()

    def assistant(message_id: str, output: int) -> str:
        usage = {"input_tokens": 5, "output_tokens": output, "cache_read_input_tokens": 2}
        message = {"id": message_id, "usage": usage, "content": []}
        return json.dumps({"type": "assistant", "message": message}, separators=(",", ":"))

    for line in (assistant("m1", 1), assistant("m1", 3), assistant("m2", 4), '{"type":"user"}'):
        tally.observe(line)
    tally.observe('{"type":"assistant", broken')
    assert tally.totals() == {"input_tokens": 10, "output_tokens": 7, "cache_read_tokens": 4}
