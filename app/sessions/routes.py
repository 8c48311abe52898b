"""GET /api/sessions/{id}: a session's totals and its active tasks."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, select

from app.deps import SessionDep
from app.errors import NotFound, error_responses
from app.sessions.models import Session as AgentSession
from app.tasks.models import Task, TaskStatus

router = APIRouter(prefix="/api/sessions", tags=["sessions"], responses=error_responses(401, 404))


class ActiveTask(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: TaskStatus
    agent: str | None
    created_at: datetime
    started_at: datetime | None


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    updated_at: datetime
    task_count: int
    total_cost_usd: float
    total_input_tokens: int
    total_output_tokens: int
    active_tasks: list[ActiveTask] = []


@router.get("/{session_id}", response_model=SessionPublic)
def get_session(session_id: str, db: SessionDep) -> SessionPublic:
    session = db.get(AgentSession, session_id)
    if session is None:
        raise NotFound(f"Session {session_id} not found")
    active = db.exec(
        select(Task)
        .where(Task.session_id == session_id)
        .where(col(Task.status).in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
        .order_by(col(Task.created_at))
    ).all()
    public = SessionPublic.model_validate(session)
    public.active_tasks = [ActiveTask.model_validate(task) for task in active]
    return public
