"""One event as every viewer gets it: parsed once, its WebSocket frame built once.

A thousand viewers of one task get the same bytes. Compression (permessage-deflate) is decided
per message: a short line is sent as it is (deflate's cost and its header would outweigh what it
saves), a long one is compressed once, without context takeover, so the one compressed frame
suits every connection that negotiated it (app/streams/server.py makes them negotiate so).
"""

from functools import cached_property

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import OP_TEXT, Frame

from app.streams import events

COMPRESS_MIN_BYTES = 1024  # below this, a line's frame is sent uncompressed
COMPRESS_MIN_SAVING = 0.1  # and above it, only if deflate saves at least this share
# What every connection of the fan-out server negotiates: its frames are then interchangeable.
DEFLATE_WINDOW_BITS = 12
DEFLATE_SETTINGS = {"memLevel": 5}


class StreamEvent:
    """An encoded event with its header (type, task_id, seq) read once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.type, self.task_id, self.seq = events.peek_header(text) or ("", "", -1)
        # Plain attributes, not properties: read for every viewer of every event.
        self.is_event = self.seq >= 0
        self.is_terminal = self.type in events.TERMINAL_EVENTS

    @cached_property
    def payload(self) -> bytes:
        return self.text.encode()

    @cached_property
    def plain_frame(self) -> bytes:
        return Frame(OP_TEXT, self.payload).serialize(mask=False)

    @cached_property
    def deflated_frame(self) -> bytes:
        """The frame for a connection that negotiated permessage-deflate without context
        takeover: compressed when that pays, else the plain frame (which such a connection
        reads as well)."""
        if len(self.payload) < COMPRESS_MIN_BYTES:
            return self.plain_frame
        compressed = Frame(OP_TEXT, self.payload).serialize(mask=False, extensions=[_DEFLATE])
        if len(compressed) > len(self.plain_frame) * (1 - COMPRESS_MIN_SAVING):
            return self.plain_frame
        return compressed


# Encodes each message with a fresh compressor (no context takeover): no state between calls.
_DEFLATE = PerMessageDeflate(
    remote_no_context_takeover=True,
    local_no_context_takeover=True,
    remote_max_window_bits=DEFLATE_WINDOW_BITS,
    local_max_window_bits=DEFLATE_WINDOW_BITS,
    compress_settings=DEFLATE_SETTINGS,
)
