"""How each finished task's CLI run ended, as a few kinds, from the task's status and error.

The worker and the sweeper write the error texts (worker/outcome.py, app/tasks/sweeper.py); these
patterns name their beginnings, and tests/deploy/test_metrics.py checks them against the
worker's own messages, so a reworded message cannot silently fall into "cli_error".
"""

from typing import Any

from sqlalchemy import case
from sqlmodel import col

from app.tasks.models import Task, TaskStatus

# (kind, SQL LIKE pattern on Task.error), first match wins. A FAILED task matching none ended
# with the CLI's own error result (model API errors, max turns, budget): "cli_error".
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


def exit_kind_column() -> Any:
    """A SQL expression giving a terminal task's exit kind."""
    error = col(Task.error)
    return case(
        (col(Task.status) == TaskStatus.COMPLETED, "success"),
        (col(Task.status) == TaskStatus.CANCELLED, "cancelled"),
        *((error.like(pattern), kind) for kind, pattern in FAILURE_KINDS),
        else_="cli_error",
    )
