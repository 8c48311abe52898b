"""Cost totals and the daily budget. Costs are the CLI's own `total_cost_usd`, per task."""

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.config import settings
from app.errors import DomainError
from app.tasks.models import Task


class BudgetExceeded(DomainError):
    status_code = 429


def day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time.min, tzinfo=moment.tzinfo)


def spent_since(db: Session, since: datetime) -> float:
    total = db.exec(
        select(func.coalesce(func.sum(Task.cost_usd), 0.0)).where(col(Task.finished_at) >= since)
    ).one()
    return float(total or 0.0)


def remaining_today(db: Session, now: datetime) -> float | None:
    """What is left of today's (UTC) DAILY_BUDGET_USD, 0 once spent; None when there is none."""
    budget = settings.DAILY_BUDGET_USD
    if budget is None:
        return None
    return max(0.0, budget - spent_since(db, day_start(now)))


def budget_spent(db: Session, now: datetime) -> str | None:
    """Why no task may start now (today's budget is spent), or None."""
    budget = settings.DAILY_BUDGET_USD
    if budget is None:
        return None
    today = day_start(now)
    spent = spent_since(db, today)
    if spent < budget:
        return None
    resets = (today + timedelta(days=1)).isoformat().replace("+00:00", "Z")
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
    """Total cost and task count of tasks finished since a moment, grouped by day (UTC), agent,
    session and source."""
    columns: list[Any] = [Task.finished_at, Task.agent, Task.session_id, Task.source, Task.cost_usd]
    rows: list[Any] = list(db.execute(sa_select(*columns).where(col(Task.finished_at) >= since)))
    groups: dict[str, dict[str, list[float]]] = {
        "by_day": {},
        "by_agent": {},
        "by_session": {},
        "by_source": {},
    }
    for finished_at, agent, session_id, source, cost in rows:
        keys = {
            "by_day": finished_at.date().isoformat() if finished_at else "unknown",
            "by_agent": agent or "(default)",
            "by_session": session_id,
            "by_source": source,
        }
        for group, key in keys.items():
            groups[group].setdefault(key, []).append(cost or 0.0)
    return {
        "since": since,
        "total_cost_usd": sum(cost or 0.0 for *_, cost in rows),
        "tasks": len(rows),
        **{
            group: [
                {"key": k, "cost_usd": sum(v), "tasks": len(v)} for k, v in sorted(keyed.items())
            ]
            for group, keyed in groups.items()
        },
    }
