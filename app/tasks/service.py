"""Task operations shared by the API, the worker and the sweeper. Handlers hold no rules."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from loguru import logger
from sqlalchemy import (
    Insert,
    Row,
    Table,
    Update,
    bindparam,
    insert,
    update,
)
from sqlmodel import Session, col, select

from app.config import settings
from app.conversations.replies import record_reply
from app.costs import service as costs
from app.db import Page, database_clock, database_now, paginate
from app.errors import Conflict, NotFound, redis_unavailable
from app.metrics import tallies
from app.redis_client import sync_redis
from app.sessions import service as sessions
from app.streams import events
from app.tasks import dispatch, output
from app.tasks.models import Task, TaskStatus, as_record, new_id, sources_for, utcnow
from app.webhooks.outbox import mark_due as mark_thread_reply_due

DEFAULT_SESSION_ID = "default"
WEBHOOK_SOURCE = "webhook"  # the prefix of a webhook task's source: webhook:github, …
NOT_SENT = "Not queued: Redis was unavailable when the task was submitted"


def get_task(db: Session, task_id: str) -> Task:
    task = db.get(Task, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} not found")
    return task


# Rows counted past a page's end: a list's total is exact while it is shorter than that, and
# a lower bound beyond, so a page never counts the whole history.
def list_tasks(
    db: Session,
    *,
    status: TaskStatus | None = None,
    session_id: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Task]:
    """A page of tasks, newest first, and how many match (app/db.py paginate)."""
    query = select(Task)
    if status is not None:
        query = query.where(col(Task.status) == status)
    if session_id is not None:
        query = query.where(col(Task.session_id) == session_id)
    if source is not None:
        query = query.where(col(Task.source) == source)
    return paginate(db, query, [col(Task.created_at).desc(), col(Task.id)], limit, offset)


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
    max_budget_usd: float | None = None,
    repository: str | None = None,
    ref: str | None = None,
) -> Task:
    """Record a QUEUED task and commit it (with whatever else the session holds)."""
    now = utcnow()
    costs.check_budget(db, now)
    task = as_record(
        id=task_id or new_id(),
        max_turns=max_turns or settings.MAX_TURNS,
        max_budget_usd=max_budget_usd or settings.TASK_MAX_BUDGET_USD,
        prompt=prompt,
        agent=agent,
        model=model,
        session_id=session_id or DEFAULT_SESSION_ID,
        source=source,
        conversation_id=conversation_id,
        repository=repository,
        ref=ref,
        created_at=now,
        dispatched_at=now,
    )
    sessions.count_task(db, task.session_id)
    db.connection().execute(_insert_task(), task.model_dump())
    db.commit()
    return task


@cache
def _insert_task() -> Insert:
    return insert(TASKS)


def enqueue(db: Session, **fields: Any) -> Task:
    """Record the task, then announce it and send its Celery message. A failed send is left
    to the sweeper: the database already holds the task."""
    task = create_task(db, **fields)
    try:
        announce_created(task)
        dispatch.send([task.id])
    except Exception as error:
        _left_to_the_sweeper(task, error)
    return task


def submit(db: Session, **fields: Any) -> Task:
    """enqueue() for a caller who waits for the answer (`POST /api/tasks`). With Redis down
    the caller hears it at once (ServiceUnavailable, 503) and the task, never sent, ends FAILED
    saying why: the announcement is the check, so no ping precedes every submit, and no task
    the caller was told was refused runs later."""
    task = create_task(db, **fields)
    try:
        announce_created(task)
    except Exception as error:
        try:
            seq = events.terminal_seq(events.SEQ_CREATED)
            refused = finish(
                db, task, TaskStatus.FAILED, seq, expected=TaskStatus.QUEUED, error=NOT_SENT
            )
        except Exception as database_error:  # still QUEUED: the sweeper sends it later
            _left_to_the_sweeper(task, database_error)
            return task
        if refused is not None:
            raise redis_unavailable(error) from None
        return task  # stopped meanwhile: it is not ours to refuse
    try:
        dispatch.send([task.id])
    except Exception as error:
        _left_to_the_sweeper(task, error)
    return task


def _left_to_the_sweeper(task: Task, error: Exception) -> None:
    logger.warning("task {} recorded, not sent yet ({}); the sweeper will send it", task.id, error)


TASKS: Table = Task.__table__  # type: ignore[attr-defined]


@cache
def _claim_statement(dialect: str) -> Update:
    """transition() to RUNNING for a worker, built once per database kind with its parameters
    apart: building a statement anew costs more than SQLite takes to run it."""
    return (
        update(TASKS)
        .where(
            TASKS.c.id == bindparam("claimed"),
            TASKS.c.status.in_(sources_for(TaskStatus.RUNNING)),
        )
        .values(
            status=TaskStatus.RUNNING,
            worker_id=bindparam("worker"),
            started_at=bindparam("at"),
            heartbeat_at=database_clock(dialect),
        )
        .returning(TASKS)
    )


@cache
def _move(target: TaskStatus, expected: TaskStatus | None, columns: tuple[str, ...]) -> Update:
    """The conditional UPDATE that moves a task (`moved`) to `target` if the rules allow it
    from its current status (and it is in `expected`, if given), setting `columns` from the
    parameters `set_<column>`. Built once per shape: building it anew cost more than the
    database takes to run it."""
    sources = sources_for(target)
    if expected is not None:
        sources = [status for status in sources if status is expected]
    return (
        update(TASKS)
        .where(TASKS.c.id == bindparam("moved"), TASKS.c.status.in_(sources))
        .values(status=target, **{column: bindparam(f"set_{column}") for column in columns})
    )


def _moving(task_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"moved": task_id, **{f"set_{column}": value for column, value in values.items()}}


def transition(
    db: Session,
    task_id: str,
    target: TaskStatus,
    *,
    expected: TaskStatus | None = None,
    **values: Any,
) -> bool:
    """Move a task to `target` if the rules allow it from its current status (and it is in
    `expected`, if given). Atomic: a conditional UPDATE, so two processes racing for the same
    task cannot both win."""
    statement = _move(target, expected, tuple(sorted(values)))
    result = db.connection().execute(statement, _moving(task_id, values))
    return bool(result.rowcount == 1)


def transition_returning(
    db: Session,
    task_id: str,
    target: TaskStatus,
    *,
    expected: TaskStatus | None = None,
    **values: Any,
) -> Task | None:
    """transition(), giving back the moved task as it now is from the same statement
    (UPDATE … RETURNING): no read after the write. None when the move was not allowed."""
    statement = _returning(_move(target, expected, tuple(sorted(values))))
    return _as_task(db.connection().execute(statement, _moving(task_id, values)).first())


@cache
def _returning(statement: Update) -> Update:
    return statement.returning(TASKS)


def _as_task(row: Row[Any] | None) -> Task | None:
    return None if row is None else as_record(**row._mapping)


def mark_dispatched(db: Session, task_ids: Sequence[str]) -> None:
    db.execute(update(Task).where(col(Task.id).in_(task_ids)).values(dispatched_at=utcnow()))
    db.commit()


@dataclass(frozen=True)
class Claim:
    """A task this worker now runs, and the most its run may spend (None: no cap)."""

    task: Task
    max_budget_usd: float | None


def claim(db: Session, task_id: str, worker_id: str) -> Claim | Task | None:
    """QUEUED → RUNNING for this worker: a Claim. When today's budget is spent by now, QUEUED →
    FAILED instead, saying so: the ended Task. None when the task is not ours to run."""
    now = utcnow()
    left = costs.remaining_today(db, now)
    if left is not None and left <= 0:
        task = db.get(Task, task_id)
        refusal = costs.budget_spent(db, now)
        if task is None or task.status is not TaskStatus.QUEUED or refusal is None:
            db.rollback()
            return None
        seq = events.terminal_seq(events.SEQ_CREATED)
        return finish(db, task, TaskStatus.FAILED, seq, expected=TaskStatus.QUEUED, error=refusal)
    claiming = _claim_statement(db.get_bind().dialect.name)
    parameters = {"claimed": task_id, "worker": worker_id, "at": now}
    task = _as_task(db.connection().execute(claiming, parameters).first())
    db.commit()
    if task is None:
        return None
    caps = [cap for cap in (task.max_budget_usd, left) if cap is not None]
    return Claim(task, min(caps) if caps else None)


Beat = Literal["running", "stop requested", "ended"]


def beat(db: Session, task_id: str) -> Beat:
    """Record that the run is alive, by the database's clock, and say whether it should go on:
    a task ended elsewhere (the sweeper, say) is no longer RUNNING."""
    row = db.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status) == TaskStatus.RUNNING)
        .values(heartbeat_at=database_now(db))
        .returning(col(Task.stop_requested))
    ).first()
    db.commit()
    if row is None:
        return "ended"
    return "stop requested" if row[0] else "running"


def silent_tasks(db: Session) -> Sequence[Task]:
    """RUNNING tasks whose run stopped beating, by the same (the database's) clock."""
    limit = database_now(db, -settings.HEARTBEAT_TIMEOUT_SECONDS)
    return db.exec(
        select(Task).where(Task.status == TaskStatus.RUNNING, col(Task.heartbeat_at) < limit)
    ).all()


def finish(
    db: Session,
    task: Task,
    status: TaskStatus,
    seq: int,
    chunks: Sequence[tuple[int, str]] = (),
    expected: TaskStatus | None = None,
    **values: Any,
) -> Task | None:
    """End a task in a terminal status, add its cost to its session, the rollup and the metrics'
    tallies, its reply to its conversation, and its last unsaved output `chunks`, in one
    transaction; then announce it.
    Returns the ended task, or None (and changes nothing) when it had already ended."""
    if not status.is_terminal:
        raise ValueError(f"{status} is not a terminal status")
    values.setdefault("finished_at", utcnow())
    ended = transition_returning(db, task.id, status, expected=expected, **values)
    if ended is None:
        db.rollback()
        # Ended elsewhere (say, the sweeper); the output is kept all the same.
        output.save_chunks(db, task.id, chunks)
        return None
    output.insert_chunks(db, task.id, chunks)
    sessions.add_spend(
        db, ended.session_id, ended.cost_usd, ended.input_tokens, ended.output_tokens
    )
    costs.record_finished(db, ended)
    tallies.record_ended(db, ended)
    record_reply(db, ended)
    if ended.source.startswith(WEBHOOK_SOURCE):  # only a webhook's task has a thread to answer
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
    events.publish_events(sync_redis(), task.id, task.session_id, [events.created_event(task)])


def next_seq_after_crash(db: Session, task: Task) -> int:
    """The seq for the end of a task whose worker is gone: past every event known of it."""
    buffered = None
    try:
        buffered = events.last_buffered_seq(sync_redis(), task.id)
    except Exception as error:
        logger.debug("buffer of task {} unreadable: {}", task.id, error)
    return events.terminal_seq(events.SEQ_STARTED, output.last_chunk_seq(db, task.id), buffered)


def request_stop(db: Session, task_id: str) -> Task:
    """Cancel a QUEUED task at once; ask the worker of a RUNNING task to stop its processes.
    An ended task is left as it is (409)."""
    task = get_task(db, task_id)
    if task.status is TaskStatus.QUEUED:
        seq = events.terminal_seq(events.SEQ_CREATED)
        cancelled = finish(
            db, task, TaskStatus.CANCELLED, seq, expected=TaskStatus.QUEUED, error="Stopped by user"
        )
        if cancelled is not None:
            return cancelled
    asked = db.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status) == TaskStatus.RUNNING)
        .values(stop_requested=True)
    )
    db.commit()
    task = _reload(db, task_id)
    if getattr(asked, "rowcount", 0) != 1:
        raise Conflict(f"Task {task_id} has already ended ({task.status.value}); nothing to stop")
    try:  # the fast path; the worker also reads stop_requested at every heartbeat
        sync_redis().set(events.stop_key(task_id), "cancel", ex=timedelta(days=1))
    except Exception as error:
        logger.warning("stop of task {} recorded; Redis did not take it: {}", task_id, error)
    return task
