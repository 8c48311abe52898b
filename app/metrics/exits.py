"""How each finished task's CLI run ended, as a few kinds, from the task's status and error.

The worker and the sweeper write the error texts (worker/outcome.py, app/tasks/sweeper.py); these
patterns name their beginnings, and tests/deploy/test_metrics.py checks them against the
worker's own messages, so a reworded message cannot silently fall into "cli_error".
"""

import re

from app.tasks.models import TaskStatus

# (kind, pattern on the task's error: `%` any text, as SQL's LIKE), first match wins. A FAILED
# task matching none ended with the CLI's own error result (model API errors, max turns,
# budget): "cli_error".
FAILURE_KINDS: tuple[tuple[str, str], ...] = (
    ("timeout", "Timed out after %"),
    ("worker_shutdown", "The worker shut down%"),
    ("ended_elsewhere", "The task ended elsewhere%"),
    ("over_budget", "Stopped at its spending cap%"),
    ("worker_lost", "Worker % stopped responding%"),
    ("cli_missing", "Claude Code CLI not found%"),
    ("no_output", "Claude Code CLI % without printing anything%"),
    ("crashed", "Claude Code CLI % before reporting a result%"),
    ("no_result", "Claude Code CLI ended without a result line%"),
    ("internal_error", "Internal worker error%"),
    ("setup_error", "BRAIN_DIR %"),
)
EXIT_KINDS = ("success", "cancelled", *(kind for kind, _ in FAILURE_KINDS), "cli_error")
_MATCHERS = [
    (kind, re.compile(".*".join(map(re.escape, pattern.split("%"))), re.DOTALL))
    for kind, pattern in FAILURE_KINDS
]


def exit_kind(status: TaskStatus, error: str | None) -> str:
    """An ended task's exit kind."""
    if status == TaskStatus.COMPLETED:
        return "success"
    if status == TaskStatus.CANCELLED:
        return "cancelled"
    return next((kind for kind, match in _MATCHERS if match.fullmatch(error or "")), "cli_error")
