"""The history benchmark's query plans: the queries as they were before migration 0006 (read on
main before this change), explained on the seeded database at revision 0005; and the queries the
app now sends, caught from its own service functions, explained at head. Each is also timed
(median of a few runs, in this process), so a plan comes with what it costs."""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.costs import service as costs
from app.sessions import service as sessions
from app.tasks import output
from app.tasks import service as tasks
from app.tasks.models import TaskStatus
from bench.history_seed import REPLAY_TASK, SESSION

RUNS = 5

# What each request ran before this change (app/db.py paginate, app/costs/service.py).
BEFORE: dict[str, str] = {
    "list status=completed: count": (
        "SELECT count(*) FROM (SELECT * FROM tasks WHERE status = 'COMPLETED') AS matching"
    ),
    "list status=completed: page": (
        "SELECT * FROM tasks WHERE status = 'COMPLETED' ORDER BY created_at DESC, id LIMIT 50"
    ),
    "list session_id=bench: count": (
        "SELECT count(*) FROM (SELECT * FROM tasks WHERE session_id = 'bench') AS matching"
    ),
    "list unfiltered: count": "SELECT count(*) FROM (SELECT * FROM tasks) AS matching",
    "list unfiltered: page": "SELECT * FROM tasks ORDER BY created_at DESC, id LIMIT 50",
    "budget: spent today": (
        "SELECT coalesce(sum(cost_usd), 0.0) FROM tasks WHERE finished_at >= :today"
    ),
    "costs?days=30": (
        "SELECT finished_at, agent, session_id, source, cost_usd FROM tasks"
        " WHERE finished_at >= :since"
    ),
    "session: active tasks": (
        "SELECT * FROM tasks WHERE session_id = 'bench' AND status IN ('QUEUED', 'RUNNING')"
        " ORDER BY created_at"
    ),
    "replay: a page of output": (
        "SELECT * FROM task_chunks WHERE task_id = :task AND seq > 5000 ORDER BY seq LIMIT 501"
    ),
}


def _moments() -> dict[str, Any]:
    today = costs.day_start(datetime.now(UTC))
    return {"today": today, "since": today - timedelta(days=29), "task": REPLAY_TASK}


def _explain_prefix(dialect: str) -> str:
    return "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "


def _plan_lines(rows: list[Any], dialect: str) -> list[str]:
    # SQLite: (id, parent, notused, detail); PostgreSQL: one text column per line.
    return [str(row[3] if dialect == "sqlite" else row[0]) for row in rows]


def _timed(run: Callable[[], object]) -> float:
    took = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        took.append(time.perf_counter() - started)
    return round(statistics.median(took) * 1000, 3)


def before(engine: Engine) -> dict[str, dict[str, Any]]:
    """The former queries on this database (at revision 0005): plan and ms."""
    dialect = engine.dialect.name
    params = _moments()
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        for name, sql in BEFORE.items():
            statement = text(sql)
            used = {key: value for key, value in params.items() if f":{key}" in sql}
            rows = list(connection.execute(text(_explain_prefix(dialect) + sql), used))
            found[name] = {
                "sql": sql,
                "plan": _plan_lines(rows, dialect),
                "ms": _timed(lambda s=statement, u=used: connection.execute(s, u).all()),  # type: ignore[misc]
            }
    return found


@contextmanager
def _caught(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def catch(_conn: Connection, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", catch)


def _run_raw(connection: Connection, statements: list[tuple[str, Any]]) -> None:
    """The statements alone, as the former ones are timed (no ORM objects built)."""
    for sql, params in statements:
        connection.exec_driver_sql(sql, params).all()


def after(engine: Engine) -> dict[str, dict[str, Any]]:
    """The app's queries now (at head), caught from its service functions: plan and ms."""
    dialect = engine.dialect.name
    now = datetime.now(UTC)
    since = costs.day_start(now) - timedelta(days=29)
    calls: dict[str, Callable[[Session], object]] = {
        "list status=completed": lambda db: tasks.list_tasks(db, status=TaskStatus.COMPLETED),
        "list session_id=bench": lambda db: tasks.list_tasks(db, session_id=SESSION),
        "list unfiltered": lambda db: tasks.list_tasks(db),
        "list source=webhook": lambda db: tasks.list_tasks(db, source="webhook"),
        "budget: spent today": lambda db: costs.spent_on(db, now.date()),
        "costs?days=30": lambda db: costs.summary(db, since),
        "session: active tasks": lambda db: sessions.active_tasks(db, SESSION),
        "replay: a page of output": lambda db: output.read_chunks(db, REPLAY_TASK, 5000, 501),
    }
    found: dict[str, dict[str, Any]] = {}
    with Session(engine) as db:
        for name, call in calls.items():
            with _caught(engine) as statements:
                call(db)
            connection = db.connection()
            plans = []
            for sql, params in statements:
                explained = connection.exec_driver_sql(_explain_prefix(dialect) + sql, params)
                plans.append({"sql": sql, "plan": _plan_lines(list(explained), dialect)})

            found[name] = {
                "queries": plans,
                "ms": _timed(partial(_run_raw, connection, statements)),
            }
    return found
