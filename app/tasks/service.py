"""Task operations shared by the API, the worker and the sweeper. Handlers hold no rules."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from loguru import logger
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.config import settings
from app.conversations.replies import record_reply
from app.costs import service as costs
from app.db import paginate
from app.errors import Conflict, NotFound
from app.redis_client import sync_redis
from app.sessions.models import Session as AgentSession
from app.streams import events
from app.tasks import dispatch
from app.tasks.models import Task, TaskChunk, TaskStatus, new_id, sources_for, utcnow
from app.webhooks.outbox import mark_due as mark_thread_reply_due

DEFAULT_SESSION_ID = "default"


def get_task(db: Session, task_id: str) -> Task:
    task = db.get(Task, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} not found")
    return task


def list_tasks(
    db: Session,
    *,
    status: TaskStatus | None = None,
    session_id: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Task], int]:
    query = select(Task)
    if status is not None:
        query = query.where(Task.status == status)
    if session_id is not None:
        query = query.where(Task.session_id == session_id)
    if source is not None:
        query = query.where(Task.source == source)
    return paginate(db, query, [col(Task.created_at).desc(), col(Task.id)], limit, offset)


def _ensure_session(db: Session, session_id: str) -> None:
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else pg_insert
    db.execute(insert(AgentSession).values(id=session_id).on_conflict_do_nothing())
    db.execute(
        update(AgentSession)
        .where(col(AgentSession.id) == session_id)
        .values(task_count=AgentSession.task_count + 1, updated_at=utcnow())
    )


def create_task(
    db: Session,
    *,
    task_id: str | None = None,
    prompt: str,
    agent: str | None = None,
    model: str | None = None,
    session_id: str | None = None,
    source: str = "api",
    conversation_id: str | None = None,
    max_turns: int | None = None,
) -> Task:
    """Record a QUEUED task and commit it (with whatever else the session holds)."""
    costs.check_budget(db, utcnow())
    task = Task(
        id=task_id or new_id(),
        max_turns=max_turns or settings.MAX_TURNS,
        prompt=prompt,
        agent=agent,
        model=model,
        session_id=session_id or DEFAULT_SESSION_ID,
        source=source,
        conversation_id=conversation_id,
        dispatched_at=utcnow(),
    )
    _ensure_session(db, task.session_id)
    db.add(task)
    db.commit()
    return task


def enqueue(db: Session, **fields: Any) -> Task:
    """Record the task, then announce it and send its Celery message. A failed send is left
    to the sweeper: the database already holds the task."""
    task = create_task(db, **fields)
    try:
        announce_created(task)
        dispatch.send([task.id])
    except Exception as error:
        logger.warning(
            "task {} recorded, not sent yet ({}); the sweeper will send it", task.id, error
        )
    return task


def transition(db: Session, task_id: str, target: TaskStatus, **values: Any) -> bool:
    """Move a task to `target` if the rules allow it from its current status. Atomic: a
    conditional UPDATE, so two processes racing for the same task cannot both win."""
    result = db.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status).in_(sources_for(target)))
        .values(status=target, **values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def mark_dispatched(db: Session, task_ids: Sequence[str]) -> None:
    db.execute(update(Task).where(col(Task.id).in_(task_ids)).values(dispatched_at=utcnow()))
    db.commit()


def claim(db: Session, task_id: str, worker_id: str) -> Task | None:
    """QUEUED → RUNNING for this worker, or None when the task is not ours to run."""
    now = utcnow()
    claimed = transition(
        db, task_id, TaskStatus.RUNNING, worker_id=worker_id, started_at=now, heartbeat_at=now
    )
    db.commit()
    return db.get(Task, task_id) if claimed else None


def beat(db: Session, task_id: str) -> None:
    db.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status) == TaskStatus.RUNNING)
        .values(heartbeat_at=utcnow())
    )
    db.commit()


def save_chunks(db: Session, task_id: str, chunks: Sequence[tuple[int, str]]) -> None:
    if chunks:
        db.add_all(TaskChunk(task_id=task_id, seq=seq, line=line) for seq, line in chunks)
        db.commit()


def read_chunks(db: Session, task_id: str) -> Sequence[TaskChunk]:
    query = select(TaskChunk).where(TaskChunk.task_id == task_id).order_by(col(TaskChunk.seq))
    return db.exec(query).all()


def last_chunk_seq(db: Session, task_id: str) -> int | None:
    return db.exec(select(func.max(TaskChunk.seq)).where(TaskChunk.task_id == task_id)).one()


def finish(
    db: Session,
    task: Task,
    status: TaskStatus,
    seq: int,
    chunks: Sequence[tuple[int, str]] = (),
    **values: Any,
) -> Task | None:
    """End a task in a terminal status, add its cost to its session and its reply to its
    conversation, and its last unsaved output `chunks`, in one transaction; then announce it.
    Returns the ended task, or None (and changes nothing) when it had already ended."""
    if not status.is_terminal:
        raise ValueError(f"{status} is not a terminal status")
    values.setdefault("finished_at", utcnow())
    if not transition(db, task.id, status, **values):
        db.rollback()
        # Ended elsewhere (say, the sweeper); the output is kept all the same.
        save_chunks(db, task.id, chunks)
        return None
    db.add_all(TaskChunk(task_id=task.id, seq=n, line=line) for n, line in chunks)
    db.execute(
        update(AgentSession)
        .where(col(AgentSession.id) == task.session_id)
        .values(
            total_cost_usd=AgentSession.total_cost_usd + (values.get("cost_usd") or 0.0),
            total_input_tokens=AgentSession.total_input_tokens + (values.get("input_tokens") or 0),
            total_output_tokens=AgentSession.total_output_tokens
            + (values.get("output_tokens") or 0),
            updated_at=utcnow(),
        )
    )
    ended = _reload(db, task.id)
    record_reply(db, ended)
    mark_thread_reply_due(db, ended)
    db.commit()
    announce_terminal(ended, seq)
    return ended


def _reload(db: Session, task_id: str) -> Task:
    return db.exec(
        select(Task).where(Task.id == task_id).execution_options(populate_existing=True)
    ).one()


def announce_terminal(task: Task, seq: int) -> None:
    try:
        events.publish_terminal(
            sync_redis(), task.id, task.session_id, events.terminal_event(task, seq)
        )
    except Exception as error:  # the database already holds the truth
        logger.warning("could not announce the end of task {}: {}", task.id, error)


def announce_created(task: Task) -> None:
    event = events.encode_event(
        events.TASK_CREATED,
        task.id,
        events.SEQ_CREATED,
        status=task.status.value,
        prompt=task.prompt,
        agent=task.agent,
        session_id=task.session_id,
    )
    events.publish_events(sync_redis(), task.id, task.session_id, [event])


def next_seq_after_crash(db: Session, task: Task) -> int:
    """The seq for an event about a task whose worker is gone: one past the last one known."""
    known = [events.SEQ_STARTED, last_chunk_seq(db, task.id) or 0]
    try:
        known.append(events.last_buffered_seq(sync_redis(), task.id) or 0)
    except Exception:
        pass
    return max(known) + 1


def request_stop(db: Session, task_id: str) -> Task:
    """Cancel a QUEUED task at once; ask the worker of a RUNNING task to stop its processes."""
    task = get_task(db, task_id)
    if task.status is TaskStatus.QUEUED:
        cancelled = finish(
            db, task, TaskStatus.CANCELLED, seq=events.SEQ_STARTED, error="Stopped by user"
        )
        if cancelled is not None:
            return cancelled
        task = _reload(db, task_id)
    if task.status is TaskStatus.RUNNING:
        db.execute(update(Task).where(col(Task.id) == task_id).values(stop_requested=True))
        db.commit()
        try:  # the fast path; the worker also reads stop_requested at every heartbeat
            sync_redis().set(events.stop_key(task_id), "cancel", ex=timedelta(days=1))
        except Exception as error:
            logger.warning("stop of task {} recorded; Redis did not take it: {}", task_id, error)
        return task
    raise Conflict(f"Task {task_id} has already ended ({task.status.value}); nothing to stop")
