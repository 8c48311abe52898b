"""Conversation operations, and chat: a message in, a task queued with the conversation as
context (framed by app/conversations/framing.py)."""

from sqlmodel import Session, col, select

from app.conversations.framing import build_prompt
from app.conversations.models import Conversation, Message, Role
from app.conversations.schemas import ChatRequest
from app.db import Page, paginate
from app.errors import NotFound
from app.tasks import service as tasks
from app.tasks.models import Task, new_id, utcnow

CONTEXT_MESSAGES = 20
TITLE_CHARS = 60


def title_from(message: str) -> str:
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"


def create_conversation(
    db: Session, title: str, session_id: str | None = None, agent: str | None = None
) -> Conversation:
    conversation = Conversation(
        title=title, session_id=session_id or tasks.DEFAULT_SESSION_ID, agent=agent
    )
    db.add(conversation)
    db.commit()
    return conversation


def get_conversation(db: Session, conversation_id: str) -> Conversation:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} not found")
    return conversation


def list_conversations(
    db: Session, limit: int, offset: int, session_id: str | None = None
) -> Page[Conversation]:
    query = select(Conversation)
    if session_id is not None:
        query = query.where(Conversation.session_id == session_id)
    order = [col(Conversation.updated_at).desc(), col(Conversation.id)]
    return paginate(db, query, order, limit, offset)


def rename(db: Session, conversation_id: str, title: str) -> Conversation:
    conversation = get_conversation(db, conversation_id)
    conversation.title = title
    conversation.updated_at = utcnow()
    db.add(conversation)
    db.commit()
    return conversation


def delete(db: Session, conversation_id: str) -> None:
    """Delete the conversation and its messages; its tasks stay, with their output."""
    conversation = get_conversation(db, conversation_id)
    for message in db.exec(select(Message).where(Message.conversation_id == conversation_id)):
        db.delete(message)
    db.delete(conversation)
    db.commit()


def list_messages(db: Session, conversation_id: str, limit: int, offset: int) -> Page[Message]:
    get_conversation(db, conversation_id)
    query = select(Message).where(Message.conversation_id == conversation_id)
    order = [col(Message.created_at), col(Message.id)]
    # One conversation's messages: the chat view pages back from their exact count.
    return paginate(db, query, order, limit, offset, count_all=True)


def _recent_messages(db: Session, conversation_id: str) -> list[Message]:
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(CONTEXT_MESSAGES)
    )
    return list(reversed(db.exec(query).all()))


def chat(db: Session, request: ChatRequest) -> tuple[Task, Message]:
    """Store the user's message and queue a task whose prompt carries the conversation."""
    if request.conversation_id:
        conversation = get_conversation(db, request.conversation_id)
    else:
        conversation = Conversation(
            title=title_from(request.message),
            session_id=request.session_id or tasks.DEFAULT_SESSION_ID,
            agent=request.agent,
        )
        db.add(conversation)
        db.flush()
    history = _recent_messages(db, conversation.id)
    task_id = new_id()
    message = Message(
        conversation_id=conversation.id, role=Role.USER, content=request.message, task_id=task_id
    )
    conversation.updated_at = utcnow()
    db.add_all([message, conversation])
    task = tasks.enqueue(
        db,
        task_id=task_id,
        prompt=build_prompt(history, request.message),
        agent=request.agent or conversation.agent,
        model=request.model,
        session_id=conversation.session_id,
        source="chat",
        conversation_id=conversation.id,
        max_budget_usd=request.max_budget_usd,
    )
    return task, message
