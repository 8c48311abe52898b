"""GET /api/metrics: Prometheus text exposition, admin token required (default deny)."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from app.db import engine
from app.errors import error_responses
from app.metrics.collector import SystemCollector
from app.redis_client import sync_redis

router = APIRouter(prefix="/api", tags=["system"])


def render(stream_subscriptions: int | None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SystemCollector(engine, sync_redis(), stream_subscriptions))
    return generate_latest(registry)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
        **error_responses(401, 403),
    },
)
async def get_metrics(request: Request) -> Response:
    """Tasks, queue, workers, spend and run outcomes in Prometheus text format, read from the
    database and Redis, so every API replica answers the same (stream subscriptions aside)."""
    hub = getattr(request.app.state, "hub", None)
    subscriptions = hub.listener_count if hub is not None else None
    body = await run_in_threadpool(render, subscriptions)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
