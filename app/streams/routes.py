"""WS /ws/{session_id}: the live events of a session's tasks, and of any task the client watches;
POST /api/stream-tickets: a short-lived ticket a browser puts in the WebSocket's URL instead of
the API token."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from sqlmodel import col, select

from app.db import read_scope
from app.errors import error_responses
from app.names import SESSION_PATTERN, matches
from app.streams.relay import StreamRelay, parse_client_message
from app.streams.sinks import sink_for
from app.tasks.models import Task, TaskStatus
from app.tokens import TICKET_SECONDS, issue_ticket

router = APIRouter(tags=["stream"])

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
BAD_REQUEST = (
    'Send {"action": "watch", "task_id": "...", "after_seq": N (optional, an integer >= -1)}'
    ' or {"action": "unwatch", "task_id": "..."}'
)
TOO_FAR_BEHIND = "Too far behind: this client did not read its events; reconnect to catch up"


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int


@router.post("/api/stream-tickets", response_model=StreamTicket, responses=error_responses(401))
def create_ticket() -> StreamTicket:
    """A ticket for `WS /ws/{session_id}?ticket=…`, valid for a minute: the browser's way to
    authenticate a WebSocket without putting the API token in a URL."""
    return StreamTicket(ticket=issue_ticket(), expires_in=TICKET_SECONDS)


def _active_task_ids(session_id: str) -> list[str]:
    with read_scope() as db:
        query = (
            select(Task.id)
            .where(Task.session_id == session_id)
            .where(col(Task.status).in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
            .order_by(col(Task.created_at))
        )
        return list(db.exec(query).all())


def _task_exists(task_id: str) -> bool:
    with read_scope() as db:
        return db.get(Task, task_id) is not None


@router.websocket("/ws/{session_id}")
async def session_stream(websocket: WebSocket, session_id: str) -> None:
    """Send `task.*` events as JSON. Send {"action": "watch", "task_id": ID} to follow any task,
    with "after_seq": N to get only its events after seq N (a reconnecting client's resume);
    {"action": "unwatch", "task_id": ID} to stop."""
    if not matches(SESSION_PATTERN, session_id):
        await websocket.accept()  # closing before accepting would answer an empty HTTP 403
        await websocket.close(
            code=POLICY_VIOLATION,
            reason="Invalid session id: 1-64 letters, digits, '.', '_', ':' or '-'",
        )
        return
    await websocket.accept()
    sink = sink_for(websocket)
    relay = StreamRelay(websocket.app.state.hub, websocket.app.state.redis, sink)
    serve = asyncio.create_task(_serve(websocket, relay, session_id))
    try:
        await asyncio.wait({serve, relay.overflowed}, return_when=asyncio.FIRST_COMPLETED)
        if relay.overflowed.done():
            serve.cancel()  # a send to this client may be stuck: the client does not read
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await serve
            await relay.close()  # its backlog too
            with contextlib.suppress(Exception):
                await sink.close(TRY_AGAIN_LATER, TOO_FAR_BEHIND)
    finally:
        serve.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await serve
        await relay.close()


async def _serve(websocket: WebSocket, relay: StreamRelay, session_id: str) -> None:
    try:
        await relay.follow_session(
            session_id, await asyncio.to_thread(_active_task_ids, session_id)
        )
        while True:
            request = parse_client_message(await websocket.receive_text())
            if request is None:
                await websocket.send_json({"type": "error", "detail": BAD_REQUEST})
            elif request.action == "watch":
                if await asyncio.to_thread(_task_exists, request.task_id):
                    await relay.follow_task(request.task_id, request.after_seq)
                else:
                    await websocket.send_json(
                        {"type": "error", "task_id": request.task_id, "detail": "No such task"}
                    )
            else:
                relay.unfollow_task(request.task_id)
    except WebSocketDisconnect:
        pass
