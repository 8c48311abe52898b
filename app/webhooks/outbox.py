"""The reply outbox: marked inside the transaction that ends a task (app/tasks/service.py
finish()), posted by the API's webhook loop (replies.py), never inside the worker's transaction."""

from sqlalchemy import update
from sqlmodel import Session, col

from app.tasks.models import Task
from app.webhooks.models import ReplyState, ThreadRun


def mark_due(db: Session, task: Task) -> None:
    """The task ended: its thread reply is owed (a no-op for tasks no webhook started)."""
    db.execute(
        update(ThreadRun)
        .where(col(ThreadRun.task_id) == task.id, col(ThreadRun.reply_state) == ReplyState.WAITING)
        .values(reply_state=ReplyState.DUE)
    )
