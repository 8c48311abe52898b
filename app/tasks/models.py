"""The Task table, its output chunks, and the one place where status transitions are decided."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy.orm import configure_mappers
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})

# The only legal moves. Terminal states have none: they never change. QUEUED → FAILED is a task
# refused when a worker claims it (the day's budget is spent by then): it never ran.
ALLOWED_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.QUEUED: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELLED, TaskStatus.FAILED}),
    TaskStatus.RUNNING: frozenset(TERMINAL_STATUSES),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.FAILED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


def sources_for(target: TaskStatus) -> list[TaskStatus]:
    """The statuses from which `target` may be reached (used as a conditional UPDATE's WHERE)."""
    return [status for status, targets in ALLOWED_TRANSITIONS.items() if target in targets]


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_created", "status", "created_at"),
        Index("ix_tasks_session_created", "session_id", "created_at"),
        # The newest page of a list, however long the history (migration 0006).
        Index("ix_tasks_created", "created_at"),
        Index("ix_tasks_source_created", "source", "created_at"),
        # A session's active tasks without reading its finished ones.
        Index("ix_tasks_session_status_created", "session_id", "status", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    status: TaskStatus = Field(default=TaskStatus.QUEUED, max_length=16)
    agent: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=128)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(default="api", max_length=32)
    session_id: str = Field(max_length=64)
    conversation_id: str | None = Field(default=None, max_length=32, index=True)
    result: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_tokens: int | None = None
    cache_read_tokens: int | None = None
    num_turns: int | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None  # this run's own spend cap, passed as --max-budget-usd
    # A repository task runs in a git worktree of owner/name at ref (app/workspaces).
    repository: str | None = Field(default=None, max_length=140)
    ref: str | None = Field(default=None, max_length=255)
    duration_ms: int | None = None
    cli_session_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    worker_id: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None
    stop_requested: bool = False


def as_record(**fields: Any) -> Task:
    """A Task to read, from values already typed (a row the database returned, or a task's
    fields checked on the way in), for code that writes it with Core statements and never adds
    it to a session. `Task(...)` sets each of its 29 fields through the ORM's instrumentation
    (~0.14 ms a task, twice in every run); a table model validates nothing on construction
    either way. Fields not given get their defaults."""
    configure_mappers()  # what Task(...) would do first (the attributes need it); ~3 µs once done
    return Task.model_construct(**fields)


class TaskChunk(SQLModel, table=True):
    """One line the CLI printed, kept for good: the database holds the full output."""

    __tablename__ = "task_chunks"
    __table_args__ = (UniqueConstraint("task_id", "seq", name="uq_task_chunks_task_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="tasks.id", max_length=32, ondelete="CASCADE")
    seq: int
    line: str = Field(sa_column=Column(Text, nullable=False))
