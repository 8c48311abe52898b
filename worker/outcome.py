"""How a run ended, in the task's terms: its status, and the fields to record (result or error,
cost, tokens). Pure functions of what the run saw."""

import json
import signal
from dataclasses import dataclass, field
from typing import Any

from app.tasks.models import TaskStatus
from worker.cli import ResultLine
from worker.watchdog import CANCEL, ENDED_ELSEWHERE, SHUTDOWN, TIMEOUT

BUDGET_SUBTYPE = "error_max_budget_usd"

STOP_REASONS = {
    CANCEL: (TaskStatus.CANCELLED, "Stopped by user"),
    SHUTDOWN: (TaskStatus.FAILED, "The worker shut down while the task was running"),
    ENDED_ELSEWHERE: (TaskStatus.FAILED, "The task ended elsewhere while it ran; the run stopped"),
}

_USAGE_FIELDS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_creation_input_tokens": "cache_creation_tokens",
    "cache_read_input_tokens": "cache_read_tokens",
}


@dataclass
class Run:
    """What a run saw, for `outcome()`."""

    stop_reason: str | None
    result: ResultLine | None
    exit_code: int
    stderr_tail: str
    printed: bool
    timeout_seconds: float
    max_budget_usd: float | None = None
    usage: dict[str, int] = field(default_factory=dict)


def parse_result(text: str) -> ResultLine | None:
    """The CLI's `result` line, or None for any other line."""
    try:
        line = json.loads(text)
    except ValueError:
        return None
    if isinstance(line, dict) and line.get("type") == "result":
        return ResultLine.parse(line)
    return None


class UsageTally:
    """Token counts of the model's replies so far, from the `assistant` lines (one per content
    block, each carrying its message's usage): what a run that never reached its `result` line
    is known to have used. The CLI reports no cost before that line, and prices are not ours
    to guess, so such a run's cost stays unknown."""

    def __init__(self) -> None:
        self.by_message: dict[str, dict[str, int]] = {}

    def observe(self, text: str) -> None:
        if not text.startswith('{"type":"assistant"'):  # parse only candidates
            return
        try:
            message = json.loads(text).get("message") or {}
        except (ValueError, AttributeError):
            return
        usage = message.get("usage") if isinstance(message, dict) else None
        if isinstance(usage, dict) and isinstance(message.get("id"), str):
            self.by_message[message["id"]] = {
                name: value
                for key, name in _USAGE_FIELDS.items()
                if isinstance(value := usage.get(key), int) and not isinstance(value, bool)
            }

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for usage in self.by_message.values():
            for name, value in usage.items():
                totals[name] = totals.get(name, 0) + value
        return totals


def outcome(run: Run) -> tuple[TaskStatus, dict[str, Any]]:
    result = run.result
    values: dict[str, Any] = result.task_fields() if result else dict(run.usage)
    if run.stop_reason == TIMEOUT:
        limit = f"{run.timeout_seconds:g}"
        return TaskStatus.FAILED, {
            **values,
            "error": f"Timed out after {limit} s; the run was stopped",
        }
    if run.stop_reason is not None:
        status, message = STOP_REASONS.get(run.stop_reason, STOP_REASONS[CANCEL])
        return status, {**values, "error": message}
    if result is not None and not result.is_error:
        return TaskStatus.COMPLETED, {**values, "result": result.text}
    if result is not None and result.subtype == BUDGET_SUBTYPE:
        return TaskStatus.FAILED, {**values, "error": _over_budget(result, run.max_budget_usd)}
    if result is not None:
        return TaskStatus.FAILED, {
            **values,
            "error": result.text or "Claude Code reported an error",
        }
    detail = f": {run.stderr_tail}" if run.stderr_tail else ""
    if not run.printed:
        return TaskStatus.FAILED, {
            "error": f"Claude Code CLI {_exit(run.exit_code)} without printing anything{detail}"
        }
    if run.exit_code != 0:
        message = f"Claude Code CLI {_exit(run.exit_code)} before reporting a result"
        return TaskStatus.FAILED, {**values, "error": message + detail}
    return TaskStatus.FAILED, {
        **values,
        "error": f"Claude Code CLI ended without a result line{detail}",
    }


def _over_budget(result: ResultLine, cap: float | None) -> str:
    cost = f" after spending ${result.cost_usd:.4f}" if result.cost_usd is not None else ""
    limit = f" of ${cap:g}" if cap is not None else ""
    return (
        f"Stopped at its spending cap{limit}{cost} (the task's max_budget_usd, or what was left"
        " of the daily budget); Claude Code checks the cap after each reply"
    )


def _exit(exit_code: int) -> str:
    """How the CLI ended, in words: Popen gives -N for a process killed by signal N."""
    if exit_code < 0:
        try:
            return f"was killed by signal {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"was killed by signal {-exit_code}"
    return f"exited with code {exit_code}"
