"""The CLI's command line, and reading its `result` line."""

import math
import re
from dataclasses import dataclass
from typing import Any

from app.config import Settings
from app.tasks.models import Task
from worker import brain


def build_argv(settings: Settings, task: Task, max_budget_usd: float | None = None) -> list[str]:
    """The command line. The prompt itself goes on stdin: one argument may not exceed 128 KiB,
    and a conversation's context easily does. `max_budget_usd`: the most this run may spend
    (the CLI checks it after each model reply)."""
    argv = [
        settings.CLAUDE_CLI_PATH,
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-partial-messages",
        "--permission-mode",
        settings.CLI_PERMISSION_MODE,
    ]
    if settings.CLI_ALLOWED_TOOLS:
        argv += ["--allowedTools", settings.CLI_ALLOWED_TOOLS]
    agent = task.agent or settings.DEFAULT_AGENT
    if agent:
        argv += ["--agent", agent]
    if task.model:
        argv += ["--model", task.model]
    if task.max_turns:
        argv += ["--max-turns", str(task.max_turns)]
    if max_budget_usd is not None:
        argv += ["--max-budget-usd", repr(max_budget_usd)]  # shortest exact form: 0.01, 1e-07
    return argv + brain.cli_args(settings, task)


@dataclass
class ResultLine:
    """What the CLI's final `result` line reports, field names as on the Task."""

    is_error: bool
    subtype: str
    text: str | None
    cost_usd: float | None
    input_tokens: int | None
    output_tokens: int | None
    cache_creation_tokens: int | None
    cache_read_tokens: int | None
    num_turns: int | None
    duration_ms: int | None
    cli_session_id: str | None

    @classmethod
    def parse(cls, line: dict[str, Any]) -> "ResultLine":
        usage = line.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        subtype = str(line.get("subtype", ""))
        text = line.get("result")
        if not isinstance(text, str):
            errors = line.get("errors")
            text = "; ".join(map(str, errors)) if isinstance(errors, list) and errors else None
        return cls(
            is_error=bool(line.get("is_error")) or subtype != "success",
            subtype=subtype,
            text=text if text is not None or subtype == "success" else _describe_subtype(subtype),
            cost_usd=_number(line.get("total_cost_usd"), float),
            input_tokens=_number(usage.get("input_tokens"), int),
            output_tokens=_number(usage.get("output_tokens"), int),
            cache_creation_tokens=_number(usage.get("cache_creation_input_tokens"), int),
            cache_read_tokens=_number(usage.get("cache_read_input_tokens"), int),
            num_turns=_number(line.get("num_turns"), int),
            duration_ms=_number(line.get("duration_ms"), int),
            cli_session_id=line.get("session_id")
            if isinstance(line.get("session_id"), str)
            else None,
        )

    def task_fields(self) -> dict[str, Any]:
        fields = dict(self.__dict__)
        del fields["is_error"], fields["subtype"], fields["text"]
        return fields


def _describe_subtype(subtype: str) -> str:
    readable = re.sub(r"^error_", "", subtype).replace("_", " ")
    return f"Claude Code stopped: {readable or 'unknown error'}"


def _number(value: Any, kind: type) -> Any:
    """A number the database and the API can hold, as `kind`, else None: a CLI's JSON may
    hold Infinity, NaN, or integers past 64 bits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = kind(value)
    except (OverflowError, ValueError):
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    if isinstance(number, int) and not -(2**63) <= number < 2**63:
        return None
    return number
