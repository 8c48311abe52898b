"""HTTP routes for conversations and chat."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth import CurrentPrincipal, allow_tasks, require_own_conversation
from app.conversations import service
from app.conversations.schemas import (
    ChatAccepted,
    ChatRequest,
    ConversationCreate,
    ConversationList,
    ConversationPublic,
    ConversationRename,
    MessageList,
    MessagePublic,
)
from app.deps import SessionDep
from app.errors import error_responses
from app.tasks.routes import MAX_OFFSET, ensure_redis_answers

router = APIRouter(
    prefix="/api/conversations",
    tags=["conversations"],
    responses=error_responses(400, 401, 403, 404),
)
chat_router = APIRouter(
    prefix="/api/chat",
    tags=["conversations"],
    responses=error_responses(400, 401, 404, 413, 429, 503),
)

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@chat_router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ChatAccepted)
def chat(body: ChatRequest, db: SessionDep) -> ChatAccepted:
    """Add a message to a conversation (a new one when none is given) and queue the reply."""
    ensure_redis_answers()
    task, message = service.chat(db, body)
    return ChatAccepted(
        task_id=task.id, conversation_id=message.conversation_id, message_id=message.id
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConversationPublic,
    responses=error_responses(413),
)
def create_conversation(body: ConversationCreate, db: SessionDep) -> ConversationPublic:
    conversation = service.create_conversation(db, body.title, body.session_id, body.agent)
    return ConversationPublic.model_validate(conversation)


@router.get("", response_model=ConversationList)
def list_conversations(
    db: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ConversationList:
    """Most recently updated first."""
    page = service.list_conversations(db, limit, offset, session_id)
    return ConversationList(
        items=[ConversationPublic.model_validate(c) for c in page.items],
        total=page.total,
        total_exact=page.total_exact,
        limit=limit,
        offset=offset,
    )


@router.get("/{conversation_id}", response_model=ConversationPublic)
@allow_tasks("self")
def get_conversation(
    conversation_id: str, db: SessionDep, principal: CurrentPrincipal
) -> ConversationPublic:
    require_own_conversation(principal, conversation_id)
    return ConversationPublic.model_validate(service.get_conversation(db, conversation_id))


@router.patch("/{conversation_id}", response_model=ConversationPublic)
def rename_conversation(
    conversation_id: str, body: ConversationRename, db: SessionDep
) -> ConversationPublic:
    return ConversationPublic.model_validate(service.rename(db, conversation_id, body.title))


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(conversation_id: str, db: SessionDep) -> Response:
    """Delete it and its messages; the tasks that answered it stay readable."""
    service.delete(db, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{conversation_id}/messages", response_model=MessageList)
@allow_tasks("self")
def list_messages(
    conversation_id: str,
    db: SessionDep,
    principal: CurrentPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MessageList:
    """Oldest first; each reply's `task_id` leads to the task's full log."""
    require_own_conversation(principal, conversation_id)
    page = service.list_messages(db, conversation_id, limit, offset)
    return MessageList(
        items=[MessagePublic.model_validate(m) for m in page.items],
        total=page.total,
        total_exact=page.total_exact,
        limit=limit,
        offset=offset,
    )
