"""Reading the CLI's output as fast as it writes, whatever the reader does with each line.

The pinned CLI (a Bun binary) queues its stdout writes in memory while the pipe is full and
drops that queue when it exits: a reader slower than the CLI lost every line still queued, the
`result` line among them, and the run ended "without a result line" (seen with 3,000 lines read
4 ms apart: about 1,200 arrived, exit code 0). So a thread of its own empties the pipe at once
into memory, and the reading loop takes what has come at its own pace, in batches.
"""

import fcntl
import os
import queue
from collections.abc import Iterator
from typing import IO

from worker import helpers

F_SETPIPE_SZ = 1031  # Linux: a larger pipe absorbs a burst while the drainer waits for the GIL
PIPE_BYTES = 1 << 20  # the default /proc/sys/fs/pipe-max-size for an unprivileged process
READ_BYTES = 1 << 16


def read_lines(stream: IO[bytes]) -> Iterator[list[bytes]]:
    """The stream's lines as they come, each with its newline, in batches: every whole line
    that arrived since the last batch (several, when the CLI printed them together). No length
    limit: a line may span many reads. A last line without its newline comes at the end. A
    thread of its own reads the stream to its end, even if the caller stops early."""
    fd = stream.fileno()
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # not a pipe, or a lower limit: the drainer alone still keeps up
    chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    helpers.start(_drain, fd, chunks, name="cli-stdout")
    partial = bytearray()
    while True:
        arrived = [chunks.get()]
        while not chunks.empty():  # all that came meanwhile makes one batch
            arrived.append(chunks.get_nowait())
        ended = arrived[-1] is None
        for chunk in arrived:
            if chunk:
                partial += chunk
        cut = partial.rfind(b"\n") + 1
        if cut:
            yield [line + b"\n" for line in bytes(partial[: cut - 1]).split(b"\n")]
            del partial[:cut]
        if ended:
            break
    if partial:
        yield [bytes(partial)]


def _drain(fd: int, chunks: "queue.SimpleQueue[bytes | None]") -> None:
    try:
        while chunk := os.read(fd, READ_BYTES):
            chunks.put(chunk)
    except OSError:
        pass  # closed under us: the run is being torn down
    finally:
        chunks.put(None)  # the end
