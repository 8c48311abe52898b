"""Replies: when a webhook's task ends, its result (or its failure, or that it was stopped)
goes back to the thread.

`outbox.mark_due` runs inside the worker's transaction that ends the task (one line in
app/tasks/service.py finish()), so the reply is owed exactly when the task has ended: an
outbox row. `post_due` runs in the API's webhook loop and makes the provider call, never inside
the worker's transaction. A "working" acknowledgement is replaced by the result, so a stopped or
failed run never leaves it stale."""

from datetime import timedelta

from loguru import logger
from sqlalchemy import or_, update
from sqlmodel import col, select

from app.config import settings
from app.conversations.replies import reply_text
from app.db import read_scope, session_scope
from app.tasks.models import Task, TaskStatus, utcnow
from app.webhooks import providers
from app.webhooks.models import Delivery, Outcome, Pending, ReplyState, Thread, ThreadRun
from app.webhooks.outbound import ProviderError

MAX_REPLY_CHARS = 60_000
STALE_SENDING = timedelta(minutes=2)


def _claim(limit: int) -> list[str]:
    now = utcnow()
    # The loop asks five times a second and mostly nothing is owed: the question takes no
    # write lock (on SQLite every other writer, the worker's lines and ends, would queue
    # behind it); only what is owed is claimed, each by a conditional UPDATE.
    with read_scope() as db:
        due = db.exec(
            select(ThreadRun.task_id)
            .where(
                or_(
                    col(ThreadRun.reply_state) == ReplyState.DUE,
                    (col(ThreadRun.reply_state) == ReplyState.SENDING)
                    & (col(ThreadRun.reply_claimed_at) < now - STALE_SENDING),
                )
            )
            .limit(limit)
        ).all()
    if not due:
        return []
    with session_scope() as db:
        claimed = []
        for task_id in due:
            won = db.execute(
                update(ThreadRun)
                .where(
                    col(ThreadRun.task_id) == task_id,
                    col(ThreadRun.reply_state).in_([ReplyState.DUE, ReplyState.SENDING]),
                    or_(
                        col(ThreadRun.reply_claimed_at).is_(None),
                        col(ThreadRun.reply_claimed_at) < now - STALE_SENDING,
                    ),
                )
                .values(reply_state=ReplyState.SENDING, reply_claimed_at=now)
            )
            if getattr(won, "rowcount", 0) == 1:
                claimed.append(task_id)
        return claimed


def post_due(limit: int = 20) -> int:
    """Post the replies owed; returns how many were handled."""
    claimed = _claim(limit)
    for task_id in claimed:
        try:
            _post(task_id)
        except Exception as error:
            logger.exception("reply of task {} failed", task_id)
            _record(task_id, ReplyState.FAILED, f"{type(error).__name__}: {error}")
    return len(claimed)


def _text(task: Task, run: ThreadRun) -> str:
    text = reply_text(task)
    if run.awaits_approval and task.status is TaskStatus.COMPLETED:
        mention = settings.BOT_MENTION
        text += f"\n\nReply `{mention} approve` to carry out this plan, or `{mention} reject`."
    return text[:MAX_REPLY_CHARS]


def _post(task_id: str) -> None:
    with session_scope() as db:
        run = db.get(ThreadRun, task_id)
        task = db.get(Task, task_id)
        thread = db.get(Thread, run.thread_id) if run and run.thread_id else None
        if run is None or task is None:
            return
        if run.awaits_approval and task.status is TaskStatus.COMPLETED and thread is not None:
            # The plan waits in the database for `approve` or `reject` on this thread.
            thread.pending, thread.pending_task_id = Pending.APPROVAL, task.id
            db.add(thread)
    if run.silent or thread is None:
        _record(task_id, ReplyState.SENT, None)
        return
    text = _text(task, run)
    try:
        channel = run.ack.get("reply_channel")
        if channel:
            slack = providers.PROVIDERS["slack"]
            slack.comment({"channel": channel, "thread_ts": None}, text)
        else:
            provider = providers.PROVIDERS[thread.provider]
            ack = {k: v for k, v in run.ack.items() if v is not None}
            if ack:
                replace(provider, thread.context, ack, text)
            else:
                provider.comment(thread.context, text)
    except ProviderError as error:
        _record(task_id, ReplyState.FAILED, error.message)
        return
    _record(task_id, ReplyState.SENT, None)


def replace(
    provider: providers.Provider, context: dict[str, object], ack: dict[str, object], text: str
) -> None:
    """Put `text` in place of the "working" message; if someone deleted it, post it anew."""
    try:
        provider.update(dict(context), dict(ack), text)
    except ProviderError as error:
        if error.status not in (404, 410):
            raise
        provider.comment(dict(context), text)


def _record(task_id: str, state: ReplyState, error: str | None) -> None:
    with session_scope() as db:
        run = db.get(ThreadRun, task_id)
        if run is None:
            return
        run.reply_state, run.reply_error = state, error
        db.add(run)
        if error:  # the delivery that started the run says so too
            db.execute(
                update(Delivery)
                .where(col(Delivery.id) == run.delivery_id)
                .values(outcome=Outcome.FAILED, reason=f"reply to the thread failed: {error}")
            )
