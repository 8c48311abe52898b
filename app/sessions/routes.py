"""GET /api/sessions/{id}: a session's totals and its active tasks."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.deps import SessionDep
from app.errors import error_responses
from app.sessions import service
from app.tasks.models import TaskStatus

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
    public = SessionPublic.model_validate(service.get_session(db, session_id))
    public.active_tasks = [
        ActiveTask.model_validate(task) for task in service.active_tasks(db, session_id)
    ]
    return public
