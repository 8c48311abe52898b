"""WS /ws/{session_id}: the live events of a session's tasks, and of any task the client watches;
POST /api/stream-tickets: a short-lived ticket a browser puts in the WebSocket's URL instead of
the API token."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.auth import TICKET_SECONDS, issue_ticket
from app.db import engine
from app.errors import error_responses
from app.names import SESSION_PATTERN, matches
from app.streams.relay import StreamRelay, parse_client_message
from app.tasks.models import Task, TaskStatus

router = APIRouter(tags=["stream"])

POLICY_VIOLATION = 1008


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int


@router.post("/api/stream-tickets", response_model=StreamTicket, responses=error_responses(401))
def create_ticket() -> StreamTicket:
    """A ticket for `WS /ws/{session_id}?ticket=…`, valid for a minute: the browser's way to
    authenticate a WebSocket without putting the API token in a URL."""
    return StreamTicket(ticket=issue_ticket(), expires_in=TICKET_SECONDS)


def _active_task_ids(session_id: str) -> list[str]:
    with Session(engine) as db:
        query = (
            select(Task.id)
            .where(Task.session_id == session_id)
            .where(col(Task.status).in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
            .order_by(col(Task.created_at))
        )
        return list(db.exec(query).all())


def _task_exists(task_id: str) -> bool:
    with Session(engine) as db:
        return db.get(Task, task_id) is not None


@router.websocket("/ws/{session_id}")
async def session_stream(websocket: WebSocket, session_id: str) -> None:
    """Send `task.*` events as JSON. Send {"action": "watch", "task_id": ID} to follow any task."""
    if not matches(SESSION_PATTERN, session_id):
        await websocket.close(
            code=POLICY_VIOLATION,
            reason="Invalid session id: 1-64 letters, digits, '.', '_', ':' or '-'",
        )
        return
    await websocket.accept()
    hub = websocket.app.state.hub
    relay = StreamRelay(hub, websocket.app.state.redis, websocket.send_text)
    pump: asyncio.Task[None] | None = None
    try:
        await relay.follow_session(
            session_id, await asyncio.to_thread(_active_task_ids, session_id)
        )
        pump = asyncio.create_task(relay.pump())
        while True:
            request = parse_client_message(await websocket.receive_text())
            if request is None:
                await websocket.send_json(
                    {
                        "type": "error",
                        "detail": 'Send {"action": "watch"|"unwatch", "task_id": "..."}',
                    }
                )
            elif request[0] == "watch":
                if await asyncio.to_thread(_task_exists, request[1]):
                    await relay.follow_task(request[1])
                else:
                    await websocket.send_json(
                        {"type": "error", "task_id": request[1], "detail": "No such task"}
                    )
            else:
                await relay.unfollow_task(request[1])
    except WebSocketDisconnect:
        pass
    finally:
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
        await relay.close()
