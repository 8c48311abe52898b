"""Running totals of the ended tasks, for the metrics. Each task adds its counts and sums once,
in the transaction that ends it (app/tasks/service.py finish(): a terminal status never
changes, and a finish tried again ends nothing), so a scrape reads a few rows of
`task_tallies` instead of aggregating the whole history six times (with 100,000 tasks a
scrape took 646 ms on SQLite, 228 ms on PostgreSQL: `just bench --only history`). What is still
going on, QUEUED and RUNNING tasks, the collector reads live: few rows, found by index.

The rows, as (metric, label): count and total.
- ("ended", "<status>\\t<agent>"): tasks that ended so.
- ("exit", kind): how each run ended (app/metrics/exits.py).
- ("spend", "cost_usd" or a token kind): total, what the CLI reported.
- ("duration", bucket) and ("queue", bucket): a histogram's tasks by the least bound their
  seconds are within ("+Inf" past the last), total their seconds; "queue" counts the tasks that
  started, from created to started.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from app.metrics.exits import exit_kind
from app.metrics.models import TaskTally
from app.tasks.models import TERMINAL_STATUSES, Task, TaskStatus

ENDED, EXIT, SPEND, DURATION, QUEUE = "ended", "exit", "spend", "duration", "queue"
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
QUEUE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
TOKEN_KINDS = ("input", "output", "cache_creation", "cache_read")
INF = "+Inf"
TALLIES: Table = TaskTally.__table__  # type: ignore[attr-defined]

Tallies = dict[tuple[str, str], tuple[int, float]]
LIVE_STATUSES = [status for status in TaskStatus if status not in TERMINAL_STATUSES]


def ended_label(status: str, agent: str | None) -> str:
    return f"{status}\t{agent or ''}"


def status_and_agent(label: str) -> tuple[str, str]:
    """An "ended" row's label read back: its status and agent ("" for none)."""
    status, agent = label.split("\t", 1)
    return status, agent


def bound_label(bound: float) -> str:
    return f"{bound:g}"


def bucket(seconds: float, bounds: Sequence[float]) -> str:
    """The least bound `seconds` is within (Prometheus' `le`), or +Inf."""
    return next((bound_label(bound) for bound in bounds if seconds <= bound), INF)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def rows_of(task: Task) -> list[dict[str, Any]]:
    """What an ended task adds, one row per (metric, label), in the order every transaction
    takes them (rows locked in one order cannot deadlock two finishes on PostgreSQL)."""
    rows = [
        (ENDED, ended_label(task.status.value, task.agent), 0.0),
        (EXIT, exit_kind(task.status, task.error), 0.0),
    ]
    spent = {"cost_usd": task.cost_usd, "input": task.input_tokens, "output": task.output_tokens}
    spent |= {"cache_creation": task.cache_creation_tokens, "cache_read": task.cache_read_tokens}
    rows += [(SPEND, name, float(value)) for name, value in spent.items() if value]
    ran = seconds_between(task.started_at, task.finished_at)
    if ran is not None:
        rows.append((DURATION, bucket(ran, DURATION_BUCKETS), ran))
    waited = seconds_between(task.created_at, task.started_at)
    if waited is not None:
        rows.append((QUEUE, bucket(waited, QUEUE_BUCKETS), waited))
    return [
        {"metric": metric, "label": label, "count": 1, "total": total}
        for metric, label, total in sorted(rows)
    ]


def record_ended(db: Session, task: Task) -> None:
    """Add a task that has just ended to the tallies, in the transaction that ended it."""
    db.connection().execute(_add(db.get_bind().dialect.name), rows_of(task))


@cache
def _add(dialect: str) -> Insert:
    """The tallies' upsert, built once per database kind (as the cost rollup's)."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(TALLIES)
    return statement.on_conflict_do_update(
        index_elements=["metric", "label"],
        set_={
            "count": TALLIES.c.count + statement.excluded.count,
            "total": TALLIES.c.total + statement.excluded.total,
        },
    )


def read(db: Session) -> Tallies:
    """Every tally: (metric, label) → (count, total)."""
    rows = db.exec(select(TaskTally.metric, TaskTally.label, TaskTally.count, TaskTally.total))
    return {(metric, label): (count, total) for metric, label, count, total in rows}


def spent(ended: Tallies, name: str) -> float:
    """What the ended tasks cost ("cost_usd") or used of a token kind, as the CLI reported it."""
    return ended.get((SPEND, name), (0, 0.0))[1]


def counts_by_status(db: Session, ended: Tallies) -> dict[str, int]:
    """How many tasks the database holds in each status: the ended ones from their tallies
    (`read`), the queued and running ones counted live (by the status index)."""
    counts = {status.value: 0 for status in TaskStatus}
    for (metric, label), (count, _) in ended.items():
        if metric == ENDED:
            counts[status_and_agent(label)[0]] += count
    live = db.exec(
        select(Task.status, func.count())
        .where(col(Task.status).in_(LIVE_STATUSES))
        .group_by(col(Task.status))
    )
    for status, count in live:
        counts[str(status)] = count  # a StrEnum: its value
    return counts
