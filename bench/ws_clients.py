"""Many WebSocket clients in a process of their own, apart from the API and from the benchmark.

`python -m bench.ws_clients URL COUNT TIMEOUT` opens COUNT connections to URL (lean viewers,
bench/ws_viewer.py, on uvloop when installed; the API token in BENCH_WS_TOKEN goes in each
one's Authorization header), prints `ready`, then records each message with the time it was
received, until every client got a terminal event, a line arrives on stdin, or TIMEOUT seconds
pass. It prints one JSON line: the latency of every `task.output` line carrying `bench_t` (the
time the CLI wrote it), from the CLI's write to the client's receipt, and this process's CPU
time. `Clients` runs it from the parent.
"""

import asyncio
import contextlib
import gc
import json
import os
import re
import resource
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from app.streams.events import TERMINAL_EVENTS, peek_header
from bench.stats import summary_ms
from bench.ws_viewer import Viewer

BENCH_T = re.compile(r'bench_t\\":([0-9.eE+-]+)')
CONNECTING_AT_ONCE = 50

Received = list[tuple[float, str]]


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def _stdin_closed_or_line() -> asyncio.Future[None]:
    loop = asyncio.get_running_loop()
    signalled: asyncio.Future[None] = loop.create_future()

    def on_input() -> None:
        loop.remove_reader(sys.stdin.fileno())
        if not signalled.done():
            signalled.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_input)
    return signalled


def summarise(logs: list[Received]) -> dict[str, Any]:
    latencies: list[float] = []
    lines_per_client: list[int] = []
    finished = 0
    for log in logs:
        lines = 0
        for received_at, text in log:
            match = BENCH_T.search(text)
            if match:
                latencies.append(received_at - float(match[1]))
                lines += 1
        lines_per_client.append(lines)
        header = peek_header(log[-1][1]) if log else None
        finished += bool(header and header[0] in TERMINAL_EVENTS)
    return {
        "clients": len(logs),
        "clients_finished": finished,
        "lines_min": min(lines_per_client, default=0),
        "lines_max": max(lines_per_client, default=0),
        "latency_ms": summary_ms(latencies),
    }


async def main(url: str, count: int, timeout: float) -> dict[str, Any]:
    raise_fd_limit(count + 256)
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    token = os.environ["BENCH_WS_TOKEN"]
    loop = asyncio.get_running_loop()

    async def open_one() -> Viewer:
        async with gate:
            _, viewer = await loop.create_connection(
                lambda: Viewer(f"{host}:{port}", path, token), host, port
            )
            await asyncio.wait_for(viewer.opened, 120)
            return viewer

    started = time.monotonic()
    viewers = await asyncio.gather(*(open_one() for _ in range(count)))
    print(f"ready {time.monotonic() - started:.3f}", flush=True)
    cpu_ready = time.process_time()
    everyone: asyncio.Future[Any] = asyncio.gather(*(viewer.finished for viewer in viewers))
    stop: asyncio.Future[Any] = _stdin_closed_or_line()
    # No garbage collection while receiving: this one process keeps every message its thousand
    # viewers receive (200,000 with 1,000), and its own full collection, once they pile up,
    # paused all of them at once (55 ms at the 37th line, seen with gc.callbacks), which read
    # as the API's latency. Browsers collect each in a process of their own.
    gc.disable()
    try:
        await asyncio.wait([everyone, stop], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gc.enable()
    cpu_receiving = time.process_time() - cpu_ready
    for viewer in viewers:
        viewer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(everyone, timeout=10)
    logs = [[(at, payload.decode()) for at, payload in viewer.received] for viewer in viewers]
    return {
        "client": "bench/ws_viewer.py",
        "connect_seconds": round(time.monotonic() - started, 3),
        "cpu_seconds": round(time.process_time(), 3),
        "cpu_seconds_receiving": round(cpu_receiving, 3),
        **summarise(logs),
    }


class Clients:
    """The parent's handle on a clients process; it is killed on the way out, whatever happens."""

    def __init__(self, url: str, count: int, timeout: float, log: Path, token: str) -> None:
        self.timeout = timeout
        self._log: IO[bytes] = log.open("ab")
        command = [sys.executable, "-m", "bench.ws_clients", url, str(count), str(timeout)]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "BENCH_WS_TOKEN": token},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 180) -> float:
        """Seconds the clients took to connect."""
        assert self.proc.stdout is not None
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            raise TimeoutError(f"WebSocket clients not connected after {timeout} s")
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready"):
            raise RuntimeError(f"WebSocket clients failed: {line!r} (see {self._log.name})")
        return float(line.split()[1])

    def result(self, stop: bool = False) -> dict[str, Any]:
        """Their summary, once every client saw the task end (or at once with stop=True)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if stop:
            self.proc.stdin.write(b"stop\n")
            self.proc.stdin.flush()
        if not select.select([self.proc.stdout], [], [], self.timeout + 60)[0]:
            raise TimeoutError("WebSocket clients gave no result")
        line = self.proc.stdout.readline().decode().strip()
        self.proc.wait(timeout=30)
        if self.proc.returncode != 0 or not line:
            raise RuntimeError(f"WebSocket clients failed (see {self._log.name})")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def __enter__(self) -> "Clients":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


if __name__ == "__main__":
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    summary = runner(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
    print(json.dumps(summary), flush=True)
