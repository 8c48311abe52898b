"""The API's WebSocket protocol for uvicorn (`--ws app.streams.server:FanoutWebSocketProtocol`):
uvicorn's own (websockets, sans-I/O) with two changes that make one event cheap to send to a
thousand viewers.

- permessage-deflate is negotiated without context takeover either way, so no connection keeps
  zlib state between messages (hundreds of KiB each otherwise) and one compressed frame suits
  every connection (app/streams/frames.py decides per message whether to compress at all);
- the ASGI scope offers `FRAMES_EXTENSION`: this connection, whose `write_event` puts an
  event's prepared frame on the socket at once, without a coroutine, a queue or the middleware
  chain per viewer (the ASGI `send` path stays for everything else).

Served another way (another protocol, a test client), the relay falls back to ASGI `send`.
"""

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import Request
from websockets.protocol import State

from app.streams.frames import DEFLATE_SETTINGS, DEFLATE_WINDOW_BITS, StreamEvent

FRAMES_EXTENSION = "ccagent.frames"


class FanoutWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if config.ws_per_message_deflate:
            self.conn.available_extensions = [
                ServerPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=DEFLATE_WINDOW_BITS,
                    client_max_window_bits=DEFLATE_WINDOW_BITS,
                    compress_settings=DEFLATE_SETTINGS,
                )
            ]
        self._deflate: bool | None = None

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:  # the ASGI task has not run yet: it sees this
            self.scope["extensions"][FRAMES_EXTENSION] = {"connection": self}

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake's request and response are never read again: a few KiB each, on
            # every one of a thousand idle connections.
            self.request = self.response = None  # type: ignore[assignment]

    @property
    def open(self) -> bool:
        """Accepted and not closing. Every way uvicorn closes sets one of these."""
        return not (
            self.close_sent
            or self.disconnected
            or self.transport.is_closing()
            or self.conn.state is not State.OPEN
        )

    def try_write(self, event: StreamEvent) -> bool:
        """Put the event's frame on the socket unless its buffer is past the high-water mark
        (False: nothing written; see `wait_writable`)."""
        if not self.writable.is_set():
            return False
        self.write_event(event)
        return True

    async def wait_writable(self) -> None:
        await self.writable.wait()

    def write_event(self, event: StreamEvent) -> None:
        """Put the event's frame on the socket, whatever its buffer holds. A closing connection
        drops it: the app sees the disconnect and ends the relay."""
        if not self.open:
            return
        if self._deflate is None:
            self._deflate = any(
                isinstance(ext, PerMessageDeflate)
                and ext.local_no_context_takeover
                and ext.local_max_window_bits >= DEFLATE_WINDOW_BITS
                for ext in self.conn.extensions
            )
        self.transport.write(event.deflated_frame if self._deflate else event.plain_frame)

    def close_now(self, code: int, reason: str) -> None:
        """Send a close frame even while the peer does not read (ASGI's close would wait for
        the buffer to drain), and end the app's `receive`. As uvicorn's own close does."""
        if not self.open:
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)
