"""The FastAPI app: routers, middleware, and what runs beside the requests (hub, sweeper)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.agents.routes import agents_router, skills_router
from app.auth import Authentication, document_security, open_docs
from app.config import settings
from app.conversations.routes import chat_router
from app.conversations.routes import router as conversations_router
from app.costs.routes import router as costs_router
from app.dashboard import mount_dashboard
from app.docs import mount_docs
from app.errors import install_error_handlers
from app.heap import freeze_what_startup_made
from app.logging import RequestIds, setup_logging
from app.metrics.routes import router as metrics_router
from app.redis_client import new_async_redis
from app.sessions.routes import router as sessions_router
from app.streams.hub import StreamHub
from app.streams.routes import router as stream_router
from app.system.routes import router as system_router
from app.tasks.routes import router as tasks_router
from app.tasks.sweeper import sweep_forever
from app.webhooks.routes import ingress_router
from app.webhooks.routes import router as webhooks_router
from app.webhooks.thread_routes import router as threads_router


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    setup_logging()
    app.state.redis = new_async_redis()
    app.state.hub = StreamHub()
    app.state.hub.start()
    sweeper = asyncio.create_task(sweep_forever(), name="sweeper")
    freeze_what_startup_made()
    yield
    sweeper.cancel()
    await app.state.hub.close()
    await app.state.redis.aclose()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Claude Code Agent",
        description="Runs the Claude Code CLI as on-demand workers; watch every line live.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by app/docs.py, without a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(Authentication)
    app.add_middleware(RequestIds)  # outermost: refusals carry an id too
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    for router in (
        system_router,
        stream_router,
        tasks_router,
        chat_router,
        conversations_router,
        sessions_router,
        costs_router,
        agents_router,
        skills_router,
        metrics_router,
        ingress_router,
        webhooks_router,
        threads_router,
    ):
        app.include_router(router)
    mount_docs(app)
    mount_dashboard(app)  # last: its client-side routes fall back to index.html
    open_docs(app)
    document_security(app)
    return app


app = create_app()
