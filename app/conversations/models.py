"""Conversation and Message tables. Deleting a conversation deletes its messages; the tasks
that answered it stay readable (tasks hold the conversation id, not a foreign key)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.tasks.models import new_id, utcnow


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_updated", "updated_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    session_id: str = Field(max_length=64)
    agent: str | None = Field(default=None, max_length=64)
    total_cost_usd: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_created", "conversation_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    conversation_id: str = Field(foreign_key="conversations.id", max_length=32, ondelete="CASCADE")
    role: Role = Field(max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))
    task_id: str | None = Field(default=None, max_length=32, index=True)
    cost_usd: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
