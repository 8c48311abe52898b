"""Where a relay's events go: straight onto the socket when the fan-out server protocol serves
the connection (app/streams/server.py), else through ASGI `send`, one coroutine at a time."""

from typing import Protocol

from fastapi import WebSocket

from app.streams.frames import StreamEvent
from app.streams.server import FRAMES_EXTENSION, FanoutWebSocketProtocol


class Sink(Protocol):
    def try_write(self, event: StreamEvent) -> bool:
        """Send the event now if that needs no waiting; False, sending nothing, if it does."""

    async def send(self, event: StreamEvent) -> None:
        """Send the event, waiting for room in the socket's buffer."""

    async def close(self, code: int, reason: str) -> None:
        """Close with a reason, even if the client does not read."""


class DirectSink:
    def __init__(self, connection: FanoutWebSocketProtocol) -> None:
        self.connection = connection
        self.try_write = connection.try_write  # one call less per viewer per event

    async def send(self, event: StreamEvent) -> None:
        await self.connection.wait_writable()
        self.connection.write_event(event)

    async def close(self, code: int, reason: str) -> None:
        self.connection.close_now(code, reason)


class AsgiSink:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    def try_write(self, event: StreamEvent) -> bool:
        return False  # every event takes the coroutine path

    async def send(self, event: StreamEvent) -> None:
        await self.websocket.send_text(event.text)

    async def close(self, code: int, reason: str) -> None:
        await self.websocket.close(code=code, reason=reason)


def sink_for(websocket: WebSocket) -> Sink:
    offered = websocket.scope.get("extensions", {}).get(FRAMES_EXTENSION)
    return DirectSink(offered["connection"]) if offered else AsgiSink(websocket)
