"""Session bookkeeping: a session is made by its first task, counts its tasks, and adds up what
they cost. Called inside the caller's transaction (the task's creation, the task's end)."""

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import BindParameter, Float, Insert, Integer, Table, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.errors import NotFound
from app.sessions.models import Session as AgentSession
from app.tasks.models import Task, TaskStatus, utcnow

SESSIONS: Table = AgentSession.__table__  # type: ignore[attr-defined]


@cache
def _count_statement(dialect: str) -> Insert:
    """One more task in a session, made if it is new: one upsert, built once per database kind
    with its parameters apart (building a statement costs more than running it)."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    at: BindParameter[datetime] = bindparam("at")
    made = insert(SESSIONS).values(id=bindparam("session"), task_count=1, updated_at=at)
    return made.on_conflict_do_update(
        index_elements=[SESSIONS.c.id],
        set_={"task_count": SESSIONS.c.task_count + 1, "updated_at": made.excluded.updated_at},
    )


_ADD_SPEND = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("session"))
    .values(
        total_cost_usd=SESSIONS.c.total_cost_usd + bindparam("cost", type_=Float),
        total_input_tokens=SESSIONS.c.total_input_tokens + bindparam("input", type_=Integer),
        total_output_tokens=SESSIONS.c.total_output_tokens + bindparam("output", type_=Integer),
        updated_at=bindparam("at"),
    )
)


def count_task(db: Session, session_id: str) -> None:
    """One more task in the session, which is made if it is new."""
    statement = _count_statement(db.get_bind().dialect.name)
    db.connection().execute(statement, {"session": session_id, "at": utcnow()})


def add_spend(
    db: Session,
    session_id: str,
    cost_usd: float | None,
    input_tokens: int | None,
    output_tokens: int | None,
) -> None:
    parameters = {
        "session": session_id,
        "cost": cost_usd or 0.0,
        "input": input_tokens or 0,
        "output": output_tokens or 0,
        "at": utcnow(),
    }
    db.connection().execute(_ADD_SPEND, parameters)


def get_session(db: Session, session_id: str) -> AgentSession:
    session = db.get(AgentSession, session_id)
    if session is None:
        raise NotFound(f"Session {session_id} not found")
    return session


def active_tasks(db: Session, session_id: str) -> Sequence[Task]:
    """The session's queued and running tasks, oldest first. Sorted here, not in SQL: an ORDER
    BY would lead SQLite to walk the session's whole history by its (session, created) index
    instead of seeking the few active ones by (session, status, created)."""
    active = db.exec(
        select(Task)
        .where(Task.session_id == session_id)
        .where(col(Task.status).in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
    ).all()
    return sorted(active, key=lambda task: task.created_at)
