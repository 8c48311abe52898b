"""Dispatch round trip: `POST /api/tasks` → `task.completed` on a WebSocket, and `POST` → the
CLI process started, against a bare Celery task (apply_async → result) that runs the same
stand-in. Sequential tasks, the two interleaved one by one, so both see the same machine.
The details add where the system's time goes, from the task's own timestamps."""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from websockets.sync.connection import Connection

from app.streams.events import TASK_COMPLETED, TERMINAL_EVENTS, peek_header
from bench.bare import run_cli
from bench.report import BenchResult, Figure
from bench.stats import summary_ms
from bench.systems import CliCommand, Context, Systems, cli_command, read_starts
from tests.support.stack import Stack

SESSION = "bench-dispatch"
WARMUP = 6
TIMEOUT_SECONDS = 60
GOAL_RATIO = 1.5


@dataclass
class Trip:
    prompt: str
    sent: float  # time.time() of the POST (or apply_async)
    answered: float  # seconds until the POST's answer (or apply_async's return)
    took: float  # seconds until the end was received
    task_id: str = ""


def wait_terminal(ws: Connection, task_id: str, timeout: float = TIMEOUT_SECONDS) -> str:
    """Read the socket until the task's terminal event; return its type."""
    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        header = peek_header(raw if isinstance(raw, str) else raw.decode())
        if header and header[1] == task_id and header[0] in TERMINAL_EVENTS:
            return header[0]


def system_round_trip(
    stack: Stack,
    ws: Connection,
    prompt: str,
    session: str = SESSION,
    timeout: float = TIMEOUT_SECONDS,
) -> Trip:
    """POST the prompt, then wait for task.completed on `ws` (which follows `session`)."""
    sent = time.time()
    response = stack.client.post("/api/tasks", json={"prompt": prompt, "session_id": session})
    answered = time.time() - sent
    response.raise_for_status()
    task_id = response.json()["id"]
    ended = wait_terminal(ws, task_id, timeout)
    took = time.time() - sent
    if ended != TASK_COMPLETED:
        raise RuntimeError(f"task {task_id} ended {ended}, not completed: {stack.task(task_id)}")
    return Trip(prompt, sent, answered, took, task_id)


def bare_round_trip(prompt: str, command: CliCommand, cwd: str) -> Trip:
    """apply_async, then wait for the result."""
    sent = time.time()
    pending = run_cli.apply_async(args=[command.argv, cwd, command.stdin])
    answered = time.time() - sent
    output = pending.get(timeout=TIMEOUT_SECONDS)
    took = time.time() - sent
    if '"type":"result"' not in output:
        raise RuntimeError(f"the bare task's CLI printed no result line: {output[:300]!r}")
    return Trip(prompt, sent, answered, took)


def _timestamp(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def stages(stack: Stack, trips: list[Trip], starts: dict[str, float]) -> dict[str, Any]:
    """Medians of each step of the system's round trip, from the task's recorded times."""
    steps: dict[str, list[float]] = {}
    for trip in trips:
        task = stack.task(trip.task_id)
        marks = [
            ("POST → task recorded (created_at)", _timestamp(task["created_at"])),
            ("→ claimed by the worker (started_at)", _timestamp(task["started_at"])),
            ("→ CLI process started", starts.get(trip.prompt, float("nan"))),
            ("→ task finished (finished_at)", _timestamp(task["finished_at"])),
            ("→ task.completed received", trip.sent + trip.took),
        ]
        previous = trip.sent
        for name, at in marks:
            steps.setdefault(name, []).append(at - previous)
            previous = at
    return {name: summary_ms(values)["p50"] for name, values in steps.items()}


def run(ctx: Context) -> BenchResult:
    count = 30 if ctx.quick else 300
    result = BenchResult("dispatch", f"Dispatch round trip, {count} sequential tasks")
    trips: dict[str, list[Trip]] = {"system": [], "bare": []}
    with Systems(ctx, "dispatch") as systems:
        stack = systems.stack
        cwd = stack.env["BRAIN_DIR"]
        with stack.ws(SESSION) as ws:
            for index in range(-WARMUP, count):
                run_id = uuid.uuid4().hex[:12]
                # Alternate which goes first, so neither always runs on a just-woken machine.
                order = ("system", "bare") if index % 2 == 0 else ("bare", "system")
                for kind in order:
                    prompt = f"bench {kind} {index} {run_id}"
                    if kind == "system":
                        trip = system_round_trip(stack, ws, prompt)
                    else:
                        trip = bare_round_trip(prompt, cli_command(stack.env, prompt), cwd)
                    if index >= 0:
                        trips[kind].append(trip)
        starts = read_starts(systems.start_log)
        breakdown = stages(stack, trips["system"], starts)
    trip_ms = {kind: summary_ms([t.took for t in values]) for kind, values in trips.items()}
    start_ms = {
        kind: summary_ms([starts[t.prompt] - t.sent for t in values if t.prompt in starts])
        for kind, values in trips.items()
    }
    result.details = {
        "tasks": count,
        "round_trip_ms": trip_ms,
        "to_cli_start_ms": start_ms,
        "submit_answered_ms": {
            kind: summary_ms([t.answered for t in values]) for kind, values in trips.items()
        },
        "system_steps_p50_ms": breakdown,
        "samples_ms": {
            kind: [round(t.took * 1000, 3) for t in values] for kind, values in trips.items()
        },
    }
    for label, stats in (("POST → task.completed", trip_ms), ("POST → CLI started", start_ms)):
        for q in ("p50", "p99"):
            goal = label == "POST → task.completed" and q == "p50"
            figure = Figure(
                f"{label} {q}",
                "ms",
                stats["system"][q],
                stats["bare"][q],
                "bare Celery",
                goal=f"≤ {GOAL_RATIO}x" if goal else "",
            )
            if goal and figure.ratio is not None:
                figure.met = figure.ratio <= GOAL_RATIO
            result.figures.append(figure)
    return result
