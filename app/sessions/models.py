"""The Session table: running totals per session (one user's stream of work)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.tasks.models import utcnow


class Session(SQLModel, table=True):
    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    task_count: int = 0
    total_cost_usd: float = 0.0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
