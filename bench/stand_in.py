"""The CLI stand-in the benchmarks run, through a launcher written by `bench.systems`.

It first notes when it started (with BENCH_START_LOG set: one `time.time()<TAB>-<TAB>prompt` line
per run, as bench/instant_cli.c writes them but for the end, which it leaves unnoted; the prompt
comes after `-p` or on stdin), then either runs bench/instant_cli.py, the
instant stand-in, or, for a prompt `@bench stream COUNT MILLISECONDS`, prints COUNT stream-json
lines that far apart, each carrying the time it was written (`bench_t`). Standard library only:
the launcher starts Python with -IS.
"""

import io
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

INSTANT_CLI = Path(__file__).with_name("instant_cli.py")
STREAM_PROMPT = re.compile(r"^@bench stream (\d+) (\d+(?:\.\d+)?)$")


def stream_prompt(count: int, interval_ms: float) -> str:
    return f"@bench stream {count} {interval_ms:g}"


def _read_prompt() -> str:
    """The prompt: after `-p`, or (as the worker sends it) on stdin, which is then given back
    to the instant stand-in as if unread."""
    argv = sys.argv
    if "-p" in argv[:-1] and not argv[argv.index("-p") + 1].startswith("--"):
        return argv[argv.index("-p") + 1]
    prompt = sys.stdin.read()
    sys.stdin = io.StringIO(prompt)
    return prompt


def note_start(started: float, prompt: str) -> None:
    log = os.environ.get("BENCH_START_LOG")
    if not log:
        return
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{started!r}\t-\t{prompt}\n".encode())
    finally:
        os.close(fd)


def _emit(line: dict[str, Any]) -> None:
    os.write(1, (json.dumps(line, separators=(",", ":")) + "\n").encode())


def stream(count: int, interval: float) -> None:
    """COUNT lines on a fixed schedule (no drift), then a `result` line."""
    session = f"bench-{os.getpid()}"
    _emit({"type": "system", "subtype": "init", "session_id": session, "model": "bench"})
    start = time.monotonic()
    for index in range(count):
        delay = start + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        tick = {"type": "bench_tick", "index": index}
        _emit({"type": "stream_event", "event": tick, "bench_t": time.time()})
    usage = {"input_tokens": 1, "output_tokens": count}
    _emit(
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "result": f"streamed {count} lines",
            "total_cost_usd": 0.0,
            "usage": usage,
            "num_turns": 1,
            "duration_ms": int((time.monotonic() - start) * 1000),
            "session_id": session,
        }
    )


def main(started: float) -> None:
    prompt = _read_prompt()
    note_start(started, prompt)
    match = STREAM_PROMPT.match(prompt)
    if match:
        stream(int(match[1]), float(match[2]) / 1000)
        return
    code = compile(INSTANT_CLI.read_bytes(), str(INSTANT_CLI), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(INSTANT_CLI)})
