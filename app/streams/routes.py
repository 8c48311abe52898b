"""WS /ws/{session_id}: the live events of a session's tasks, and of any task the client watches."""

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from sqlmodel import Session, col, select

from app.auth import token_is_valid, websocket_token
from app.db import engine
from app.streams.relay import StreamRelay, parse_client_message
from app.tasks.models import Task, TaskStatus

router = APIRouter(tags=["stream"])

POLICY_VIOLATION = 1008


def _active_task_ids(session_id: str) -> list[str]:
    with Session(engine) as db:
        query = (
            select(Task.id)
            .where(Task.session_id == session_id)
            .where(col(Task.status).in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
            .order_by(col(Task.created_at))
        )
        return list(db.exec(query).all())


@router.websocket("/ws/{session_id}")
async def session_stream(
    websocket: WebSocket, session_id: str, token: Annotated[str | None, Depends(websocket_token)]
) -> None:
    """Send `task.*` events as JSON. Send {"action": "watch", "task_id": ID} to follow any task."""
    if not token_is_valid(token):
        await websocket.close(code=POLICY_VIOLATION, reason="Missing or invalid token")
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
                await relay.follow_task(request[1])
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
