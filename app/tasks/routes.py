"""HTTP routes for tasks: parse, call the service, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from starlette.concurrency import run_in_threadpool

from app.auth import CurrentPrincipal, allow_tasks, require_own_task
from app.db import session_scope
from app.deps import SessionDep, answer
from app.errors import error_responses, redis_unavailable
from app.redis_client import sync_redis
from app.tasks import output, service
from app.tasks.models import TaskStatus
from app.tasks.schemas import OutputChunk, StopResult, TaskCreate, TaskList, TaskOutput, TaskPublic

MAX_OFFSET = 1_000_000_000  # beyond every row; a larger one overflows SQLite's integers (a 500)
OUTPUT_PAGE = 1000
OUTPUT_PAGE_MAX = 5000

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=error_responses(401))


def ensure_redis_answers() -> None:
    """Refuse new work at once when Redis is down, rather than record what cannot be sent."""
    try:
        sync_redis().ping()
    except Exception as error:
        raise redis_unavailable(error) from None


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskPublic,
    responses=error_responses(400, 413, 429, 503),
)
async def create_task(body: TaskCreate) -> Response:
    """Queue a prompt for the Claude Code CLI. Answers at once; follow it on /ws."""
    return answer(await run_in_threadpool(_submit, body), status.HTTP_202_ACCEPTED)


def _submit(body: TaskCreate) -> TaskPublic:
    # The whole unit of work in one worker thread (a SessionDep would take three hops).
    with session_scope() as db:
        return TaskPublic.model_validate(service.submit(db, **body.model_dump()))


@router.get("", response_model=TaskList)
def list_tasks(
    db: SessionDep,
    status_filter: Annotated[TaskStatus | None, Query(alias="status")] = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> TaskList:
    items, total, exact = service.list_tasks(
        db, status=status_filter, session_id=session_id, source=source, limit=limit, offset=offset
    )
    return TaskList(
        items=[TaskPublic.model_validate(t) for t in items],
        total=total,
        total_exact=exact,
        limit=limit,
        offset=offset,
    )


@router.get("/{task_id}", response_model=TaskPublic, responses=error_responses(403, 404))
@allow_tasks("self")
def get_task(task_id: str, db: SessionDep, principal: CurrentPrincipal) -> TaskPublic:
    require_own_task(principal, task_id)
    return TaskPublic.model_validate(service.get_task(db, task_id))


@router.get("/{task_id}/output", response_model=TaskOutput, responses=error_responses(403, 404))
@allow_tasks("self")
def get_output(
    task_id: str,
    db: SessionDep,
    principal: CurrentPrincipal,
    after_seq: Annotated[int, Query(ge=-1, le=MAX_OFFSET)] = -1,
    limit: Annotated[int, Query(ge=1, le=OUTPUT_PAGE_MAX)] = OUTPUT_PAGE,
) -> TaskOutput:
    """The lines the CLI printed, in order, a page at a time (those after `after_seq`); kept
    after the task ends."""
    require_own_task(principal, task_id)
    task = service.get_task(db, task_id)
    page = output.read_chunks(db, task_id, after_seq=after_seq, limit=limit + 1)
    chunks = [OutputChunk(seq=c.seq, line=c.line) for c in page[:limit]]
    more = len(page) > limit
    return TaskOutput(
        task_id=task.id,
        status=task.status,
        chunks=chunks,
        next_after_seq=chunks[-1].seq if more else None,
    )


@router.post("/{task_id}/stop", response_model=StopResult, responses=error_responses(404, 409, 503))
def stop_task(task_id: str, db: SessionDep) -> StopResult:
    """Cancel a queued task, or stop a running one and every process it started."""
    task = service.request_stop(db, task_id)
    detail = "cancelled" if task.status is TaskStatus.CANCELLED else "stop requested"
    return StopResult(task_id=task.id, status=task.status, detail=detail)
