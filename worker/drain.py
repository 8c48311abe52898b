"""Reading the CLI's output as fast as it writes, whatever the reader does with each line.

The pinned CLI (a Bun binary) queues its stdout writes in memory while the pipe is full and
drops that queue when it exits: a reader slower than the CLI lost every line still queued, the
`result` line among them, and the run ended "without a result line" (seen with 3,000 lines read
4 ms apart: about 1,200 arrived, exit code 0). So a thread of its own empties the pipe at once
into memory, and the reading loop takes lines from there at its own pace.
"""

import fcntl
import os
import queue
import threading
from collections.abc import Iterator
from typing import IO

F_SETPIPE_SZ = 1031  # Linux: a larger pipe absorbs a burst while the drainer waits for the GIL
PIPE_BYTES = 1 << 20  # the default /proc/sys/fs/pipe-max-size for an unprivileged process
CHUNK_BYTES = 1 << 16


def drained_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Every line of the stream, its newline removed, until its end; the last line may lack
    its newline. The stream is read to its end by a thread even if the caller stops early."""
    fd = stream.fileno()
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # not a pipe, or a lower limit: the drainer alone still keeps up
    chunks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    threading.Thread(target=_drain, args=(fd, chunks), name="cli-stdout", daemon=True).start()
    pending = bytearray()
    while chunk := chunks.get():
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) != -1:
            yield bytes(pending[start:end])
            start = end + 1
        del pending[:start]
    if pending:
        yield bytes(pending)


def _drain(fd: int, chunks: "queue.SimpleQueue[bytes]") -> None:
    try:
        while chunk := os.read(fd, CHUNK_BYTES):
            chunks.put(chunk)
    except OSError:
        pass  # closed under us: the run is being torn down
    finally:
        chunks.put(b"")  # the end
