"""Webhook tables: the configured endpoints, the delivery log, threads (one conversation each)
and the runs a webhook started (the outbox of replies to post when a run ends)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from app.tasks.models import new_id, utcnow


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # recorded, not processed yet
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FAILED = "failed"


class ReplyState(StrEnum):
    NONE = "none"  # the run posts nothing when it ends
    WAITING = "waiting"  # the run has not ended yet
    DUE = "due"  # it ended: the reply waits to be posted
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Webhook(SQLModel, table=True):
    """An endpoint: `/webhooks/{provider}/{id}`, or the provider's default `/webhooks/{provider}`
    (id = the provider's name, secret from settings)."""

    __tablename__ = "webhooks"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=100, unique=True)
    provider: str = Field(max_length=16)
    secret: str | None = Field(default=None, sa_column=Column(Text))  # write-only in the API
    insecure: bool = False
    enabled: bool = True
    allowed_actors: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    max_budget_usd: float | None = None
    commands: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One request to an ingress endpoint, recorded before anything else is done with it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_outcome_received", "outcome", "received_at"),
        Index("ix_webhook_deliveries_webhook_received", "webhook_id", "received_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    webhook_id: str | None = Field(default=None, max_length=64)
    provider: str = Field(max_length=32)
    event: str | None = Field(default=None, max_length=100)
    # The provider's own id of the delivery, per webhook; unique, so a repeat cannot be recorded
    # twice as accepted (duplicates are recorded with none).
    delivery_key: str | None = Field(default=None, max_length=300, unique=True)
    received_at: datetime = Field(default_factory=utcnow)
    outcome: Outcome = Field(default=Outcome.ACCEPTED, max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    commands: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    task_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    thread_id: str | None = Field(default=None, max_length=32)
    duplicate_of: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    claimed_at: datetime | None = None
    processed_at: datetime | None = None


class Pending(StrEnum):
    APPROVAL = "approval"  # a plan was posted; `approve` runs it, `reject` drops it
    ANSWER = "answer"  # a question was asked; the next message on the thread answers it


class Thread(SQLModel, table=True):
    """A GitHub issue or PR, a Slack thread, a Jira issue, a Sentry issue: one conversation."""

    __tablename__ = "webhook_threads"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    provider: str = Field(max_length=16)
    key: str = Field(max_length=300, unique=True)
    webhook_id: str | None = Field(default=None, max_length=64)
    conversation_id: str | None = Field(default=None, max_length=32)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    pending: Pending | None = Field(default=None, max_length=16)
    pending_task_id: str | None = Field(default=None, max_length=32)
    pending_agent: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ThreadRun(SQLModel, table=True):
    """A task a webhook started, and what to post to its thread when it ends."""

    __tablename__ = "webhook_runs"
    __table_args__ = (Index("ix_webhook_runs_reply_state", "reply_state"),)

    task_id: str = Field(primary_key=True, max_length=32)
    delivery_id: str = Field(max_length=32)
    thread_id: str | None = Field(default=None, max_length=32)
    webhook_id: str | None = Field(default=None, max_length=64)
    silent: bool = False  # post nothing when it ends
    verb: str | None = Field(default=None, max_length=16)
    awaits_approval: bool = False
    ack: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    reply_state: ReplyState = Field(default=ReplyState.WAITING, max_length=16)
    reply_error: str | None = Field(default=None, sa_column=Column(Text))
    reply_claimed_at: datetime | None = None
    calls: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
