"""the metrics' tallies of ended tasks (a scrape reads a few rows, not the whole history)

The table app/metrics/tallies.py keeps, filled here from the tasks already ended, so the
counters carry on from what a scrape reported before. Written for SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:50:00

"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
# What app/metrics/tallies.py and exits.py count today (a migration does not follow later code).
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
QUEUE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
FAILURES = (
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
TOKEN_KINDS = ("input", "output", "cache_creation", "cache_read")
TIMES = ("created", "started", "finished")


def upgrade() -> None:
    tallies = op.create_table(
        "task_tallies",
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=160), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "label", name="pk_task_tallies"),
    )
    _fill(tallies)


def _fill(tallies: sa.Table) -> None:
    tasks = sa.table(
        "tasks",
        *(sa.column(name, sa.String()) for name in ("status", "agent", "error")),
        sa.column("cost_usd", sa.Float()),
        *(sa.column(f"{kind}_tokens", sa.Integer()) for kind in TOKEN_KINDS),
        *(sa.column(f"{at}_at", sa.DateTime(timezone=True)) for at in TIMES),
    )
    status = sa.cast(tasks.c.status, sa.String())  # PostgreSQL's column is an enum type
    ended = sa.select(*tasks.c).where(status.in_(["COMPLETED", "FAILED", "CANCELLED"]))
    totals: dict[tuple[str, str], list[float]] = {}
    for row in op.get_bind().execute(ended).mappings():
        for metric, label, total in _rows_of(row):
            tally = totals.setdefault((metric, label), [0, 0.0])
            tally[0] += 1
            tally[1] += total
    rows = [
        {"metric": metric, "label": label, "count": count, "total": total}
        for (metric, label), (count, total) in totals.items()
    ]
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(tallies, rows[start : start + BATCH])


MATCHERS = [
    (kind, re.compile(".*".join(map(re.escape, pattern.split("%"))), re.DOTALL))
    for kind, pattern in FAILURES
]


def _rows_of(task: sa.RowMapping) -> list[tuple[str, str, float]]:
    status = str(task["status"]).lower()  # the column holds the enum's name
    if status == "completed":
        kind = "success"
    elif status == "cancelled":
        kind = "cancelled"
    else:
        error = task["error"] or ""
        kind = next((name for name, match in MATCHERS if match.fullmatch(error)), "cli_error")
    rows = [("ended", f"{status}\t{task['agent'] or ''}", 0.0), ("exit", kind, 0.0)]
    spent = {"cost_usd": task["cost_usd"]}
    spent |= {kind: task[f"{kind}_tokens"] for kind in TOKEN_KINDS}
    rows += [("spend", name, float(value)) for name, value in spent.items() if value]
    for metric, start, end, bounds in (
        ("duration", task["started_at"], task["finished_at"], DURATION_BUCKETS),
        ("queue", task["created_at"], task["started_at"], QUEUE_BUCKETS),
    ):
        if start is not None and end is not None:
            seconds = (end - start).total_seconds()  # both with an offset, or both without
            label = next((f"{b:g}" for b in bounds if seconds <= b), "+Inf")
            rows.append((metric, label, seconds))
    return rows


def downgrade() -> None:
    op.drop_table("task_tallies")
