"""GET /api/status and GET /api/health."""

from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session

from app.auth import public
from app.config import settings
from app.db import engine
from app.deps import SessionDep
from app.errors import error_responses
from app.metrics import tallies
from app.redis_client import sync_redis
from app.system.presence import live_workers
from app.tasks.models import TaskStatus

router = APIRouter(prefix="/api", tags=["system"])


class Status(BaseModel):
    machine_id: str
    queue_length: int | None
    active_tasks: int
    workers: list[dict[str, Any]]
    tasks_by_status: dict[str, int]
    total_cost_usd: float
    flower_url: str


class Health(BaseModel):
    status: str
    database: str
    redis: str
    workers: int


@router.get(
    "/status",
    response_model=Status,
    responses=error_responses(401, 403),
)
def get_status(db: SessionDep, request: Request) -> Status:
    """What the Status page shows and an autoscaler reads (`active_tasks`): the ended tasks
    from the metrics' tallies, so it costs the same however long the history."""
    ended = tallies.read(db)
    counts = tallies.counts_by_status(db, ended)
    total_cost = tallies.spent(ended, "cost_usd")
    try:
        redis = sync_redis()
        queue_length: int | None = cast(int, redis.llen(settings.CELERY_QUEUE))
        workers = live_workers(redis)
    except Exception:
        queue_length, workers = None, []
    return Status(
        machine_id=settings.MACHINE_ID,
        queue_length=queue_length,
        active_tasks=counts[TaskStatus.RUNNING.value],
        workers=workers,
        tasks_by_status=counts,
        total_cost_usd=total_cost,
        flower_url=flower_url(request),
    )


def flower_url(request: Request) -> str:
    """FLOWER_URL, or Flower's port on the host the request was sent to (what the browser
    that asks can reach, as it reached this API there)."""
    if settings.FLOWER_URL:
        return settings.FLOWER_URL
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 address goes in brackets
        host = f"[{host}]"
    return f"http://{host}:{settings.FLOWER_PORT}/"


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
@public
def get_health() -> Any:
    """Open to load balancers: says only whether the parts answer. 503 when one does not."""
    database = redis_state = "ok"
    workers = 0
    try:
        with Session(engine) as db:
            db.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception:
        database = "down"
    try:
        redis = sync_redis()
        redis.ping()
        workers = len(live_workers(redis))
    except Exception:
        redis_state = "down"
    healthy = database == "ok" and redis_state == "ok" and workers > 0
    body = Health(
        status="ok" if healthy else "unavailable",
        database=database,
        redis=redis_state,
        workers=workers,
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
