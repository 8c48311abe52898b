"""Cost totals and the daily budget. Costs are the CLI's own `total_cost_usd`, per task, summed
in the rollup (app/costs/models.py) as each task ends: a budget check or a summary reads the
days it covers, never the whole history of tasks."""

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from app.config import settings
from app.costs.models import DEFAULT_AGENT, CostRollup
from app.errors import DomainError
from app.tasks.models import Task

ROLLUPS: Table = CostRollup.__table__  # type: ignore[attr-defined]
GROUPS = {"day": "by_day", "agent": "by_agent", "session": "by_session", "source": "by_source"}


class BudgetExceeded(DomainError):
    status_code = 429


def day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time.min, tzinfo=moment.tzinfo)


def rollup_keys(task: Task, day: date) -> list[tuple[str, str]]:
    """The rollup rows (dimension, key) a task that ended on `day` counts in."""
    return [
        ("day", day.isoformat()),
        ("agent", task.agent or DEFAULT_AGENT),
        ("session", task.session_id),
        ("source", task.source),
    ]


def record_finished(db: Session, task: Task) -> None:
    """Add a task that has just ended to its day's totals. Called once, in the transaction
    that ended it: a finish tried again ends nothing, so it adds nothing."""
    if task.finished_at is None:
        return
    day = task.finished_at.date()
    cost = task.cost_usd or 0.0
    rows = [
        {"day": day, "dimension": dimension, "key": key, "cost_usd": cost, "tasks": 1}
        for dimension, key in rollup_keys(task, day)
    ]
    db.connection().execute(_add_to_rollup(db.get_bind().dialect.name), rows)


@cache
def _add_to_rollup(dialect: str) -> Insert:
    """The rollup's upsert, built once per database kind and run with each task's rows as
    parameters: building and compiling it anew took longer than the database takes to run it."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(ROLLUPS)
    return statement.on_conflict_do_update(
        index_elements=["day", "dimension", "key"],
        set_={
            "cost_usd": ROLLUPS.c.cost_usd + statement.excluded.cost_usd,
            "tasks": ROLLUPS.c.tasks + statement.excluded.tasks,
        },
    )


def spent_on(db: Session, day: date) -> float:
    """What the tasks that ended on a UTC day cost: one row of the rollup."""
    total = db.exec(
        select(CostRollup.cost_usd).where(
            CostRollup.day == day, CostRollup.dimension == "day", CostRollup.key == day.isoformat()
        )
    ).first()
    return float(total or 0.0)


def remaining_today(db: Session, now: datetime) -> float | None:
    """What is left of today's (UTC) DAILY_BUDGET_USD, 0 once spent; None when there is none."""
    budget = settings.DAILY_BUDGET_USD
    if budget is None:
        return None
    return max(0.0, budget - spent_on(db, now.date()))


def budget_spent(db: Session, now: datetime) -> str | None:
    """Why no task may start now (today's budget is spent), or None."""
    budget = settings.DAILY_BUDGET_USD
    if budget is None:
        return None
    spent = spent_on(db, now.date())
    if spent < budget:
        return None
    resets = (day_start(now) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    return (
        f"The daily budget of ${budget:.2f} is spent (${spent:.4f} today); new tasks are"
        f" accepted again at {resets}"
    )


def check_budget(db: Session, now: datetime) -> None:
    """Refuse new work once today's (UTC) spend reaches DAILY_BUDGET_USD. (A worker checks again
    when it claims a task, and caps each run at what is left.)"""
    if message := budget_spent(db, now):
        raise BudgetExceeded(message)


def summary(db: Session, since: datetime) -> dict[str, Any]:
    """Total cost and task count of tasks finished since the start of a UTC day, grouped by
    day, agent, session and source: the rollup's rows of those days, summed."""
    rows = db.exec(
        select(
            CostRollup.dimension,
            CostRollup.key,
            func.sum(CostRollup.cost_usd),
            func.sum(CostRollup.tasks),
        )
        .where(col(CostRollup.day) >= since.date())
        .group_by(col(CostRollup.dimension), col(CostRollup.key))
    ).all()
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in GROUPS.values()}
    for dimension, key, cost, tasks in sorted(rows, key=lambda row: (row[0], row[1])):
        groups[GROUPS[dimension]].append({"key": key, "cost_usd": float(cost), "tasks": int(tasks)})
    days = groups["by_day"]
    return {
        "since": since,
        "total_cost_usd": sum(group["cost_usd"] for group in days),
        "tasks": sum(group["tasks"] for group in days),
        **groups,
    }
