"""Putting a finished task's reply into its conversation (called when the task ends)."""

from sqlalchemy import update
from sqlmodel import Session, col

from app.conversations.models import Conversation, Message, Role
from app.tasks.models import Task, TaskStatus, utcnow


def reply_text(task: Task) -> str:
    if task.status is TaskStatus.COMPLETED:
        return task.result or "(the agent finished without a reply)"
    if task.status is TaskStatus.CANCELLED:
        return f"This request was cancelled: {task.error or 'stopped'}"
    return f"This request failed: {task.error or 'unknown error'}"


def record_reply(db: Session, task: Task) -> None:
    """Add the reply (or what went wrong) to the task's conversation, if it still exists."""
    if task.conversation_id is None or db.get(Conversation, task.conversation_id) is None:
        return
    db.add(
        Message(
            conversation_id=task.conversation_id,
            role=Role.ASSISTANT,
            content=reply_text(task),
            task_id=task.id,
            cost_usd=task.cost_usd,
        )
    )
    db.execute(
        update(Conversation)
        .where(col(Conversation.id) == task.conversation_id)
        .values(
            total_cost_usd=Conversation.total_cost_usd + (task.cost_usd or 0.0),
            updated_at=utcnow(),
        )
    )
