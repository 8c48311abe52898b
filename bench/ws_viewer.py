"""One lean WebSocket viewer: an asyncio Protocol that does the opening handshake (offering
permessage-deflate as browsers do), then parses the server's frames as they arrive and notes
each message's bytes with the time its data arrived. Nothing more per message: a thousand of
them share one process and one core, and what they measure is the server, not their own
parsing (the websockets library's client costs several times as much per message)."""

import asyncio
import base64
import os
import time
import zlib
from typing import cast

from websockets.utils import accept_key

from app.streams.events import TERMINAL_EVENTS

TERMINAL_STARTS = tuple(f'{{"type": "{name}"'.encode() for name in TERMINAL_EVENTS)
SYNC_FLUSH_TAIL = b"\x00\x00\xff\xff"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class ViewerError(Exception):
    pass


class Viewer(asyncio.Protocol):
    def __init__(self, host: str, path: str, token: str) -> None:
        self.key = base64.b64encode(os.urandom(16))
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {self.key.decode()}\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()
        self.received: list[tuple[float, bytes]] = []
        self.buffer = bytearray()
        self.upgraded = False
        self.deflate = False
        self.shared_context: zlib._Decompress | None = None  # the server's context takeover
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ViewerError(f"connection lost: {exc}"))
        if not self.finished.done():
            self.finished.set_result(None)

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.buffer += data
        if not self.upgraded and not self._handshake():
            return
        while (message := self._next_frame()) is not None:
            opcode, payload = message
            if opcode == TEXT:
                self.received.append((arrived, payload))
                if payload.startswith(TERMINAL_STARTS) and not self.finished.done():
                    self.finished.set_result(None)
            elif opcode == PING:
                self._send(PONG, payload)
            elif opcode == CLOSE:
                self.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._send(CLOSE, (1000).to_bytes(2, "big"))
            self.transport.close()

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        accept = accept_key(self.key.decode())
        if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != accept:
            self.opened.set_exception(ViewerError(f"refused: {head[0]}"))
            return False
        extensions = headers.get("sec-websocket-extensions", "")
        self.deflate = extensions.startswith("permessage-deflate")
        if self.deflate and "server_no_context_takeover" not in extensions:
            self.shared_context = zlib.decompressobj(-zlib.MAX_WBITS)
        self.upgraded = True
        self.opened.set_result(None)
        return True

    def _next_frame(self) -> tuple[int, bytes] | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        length, start = buffer[1] & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            length, start = int.from_bytes(buffer[2:4], "big"), 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            length, start = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < start + length:
            return None
        first = buffer[0]
        payload = bytes(buffer[start : start + length])
        del buffer[: start + length]
        if not first & 0x80:
            raise ViewerError("a fragmented message (this server never fragments)")
        if first & 0x40:  # compressed (RSV1)
            inflater = self.shared_context or zlib.decompressobj(-zlib.MAX_WBITS)
            payload = inflater.decompress(payload + SYNC_FLUSH_TAIL)
        return first & 0x0F, payload

    def _send(self, opcode: int, payload: bytes) -> None:
        """A client's frame: always masked (RFC 6455 5.3)."""
        assert self.transport is not None and len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)
