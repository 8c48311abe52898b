"""API shapes for conversations, messages and chat."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.conversations.models import Role
from app.names import MODEL_PATTERN, NAME_PATTERN, SESSION_PATTERN
from app.paging import PageInfo
from app.tasks.schemas import MAX_PROMPT_CHARS, NOT_BLANK_TEXT, AgentName, BudgetUsd


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: str = Field(min_length=1, max_length=200)
    session_id: str | None = Field(None, pattern=SESSION_PATTERN)
    agent: str | None = Field(None, pattern=NAME_PATTERN)


class ConversationRename(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: str = Field(min_length=1, max_length=200)


class ConversationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    session_id: str
    agent: str | None
    total_cost_usd: float
    created_at: datetime
    updated_at: datetime


class ConversationList(PageInfo):
    items: list[ConversationPublic]


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    role: Role
    content: str
    task_id: str | None
    cost_usd: float | None
    created_at: datetime


class MessageList(PageInfo):
    items: list[MessagePublic]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    message: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS // 2,
        description="The user's message (not blank, no NUL).",
        pattern=NOT_BLANK_TEXT,
    )
    conversation_id: str | None = Field(None, max_length=32)
    agent: AgentName | None = None
    model: str | None = Field(None, pattern=MODEL_PATTERN)
    session_id: str | None = Field(None, pattern=SESSION_PATTERN)
    max_budget_usd: BudgetUsd | None = None


class ChatAccepted(BaseModel):
    task_id: str
    conversation_id: str
    message_id: str
