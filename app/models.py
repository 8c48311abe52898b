"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.conversations.models import Conversation, Message
from app.costs.models import CostRollup
from app.metrics.models import TaskTally
from app.sessions.models import Session
from app.tasks.models import Task, TaskChunk
from app.webhooks.models import Delivery, Thread, ThreadRun, Webhook

__all__ = [
    "Conversation",
    "CostRollup",
    "Delivery",
    "Message",
    "Session",
    "Task",
    "TaskChunk",
    "TaskTally",
    "Thread",
    "ThreadRun",
    "Webhook",
]
