"""Session bookkeeping: a session is made by its first task, counts its tasks, and adds up what
they cost. Called inside the caller's transaction (the task's creation, the task's end)."""

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.errors import NotFound
from app.sessions.models import Session as AgentSession
from app.tasks.models import Task, TaskStatus, utcnow


def count_task(db: Session, session_id: str) -> None:
    """One more task in the session, which is made if it is new."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    db.execute(insert(AgentSession).values(id=session_id).on_conflict_do_nothing())
    db.execute(
        update(AgentSession)
        .where(col(AgentSession.id) == session_id)
        .values(task_count=AgentSession.task_count + 1, updated_at=utcnow())
    )


def add_spend(
    db: Session,
    session_id: str,
    cost_usd: float | None,
    input_tokens: int | None,
    output_tokens: int | None,
) -> None:
    db.execute(
        update(AgentSession)
        .where(col(AgentSession.id) == session_id)
        .values(
            total_cost_usd=AgentSession.total_cost_usd + (cost_usd or 0.0),
            total_input_tokens=AgentSession.total_input_tokens + (input_tokens or 0),
            total_output_tokens=AgentSession.total_output_tokens + (output_tokens or 0),
            updated_at=utcnow(),
        )
    )


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
