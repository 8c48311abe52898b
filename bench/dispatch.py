"""Dispatch round trip: `POST /api/tasks` → `task.completed` on a WebSocket, and `POST` → the
CLI process started, against a bare Celery task (apply_async → result) that runs the same
stand-in. Sequential tasks, the two interleaved one by one, so both see the same machine.

The stand-in is the C one (bench/native_cli.py, well under 1 ms; its own cost is measured and
printed), so the ratio is the system's cost, not the stand-in's. The details say where the
system's time goes, step by step, from the task's own timestamps, the stand-in's start and end,
and a plain Redis subscriber that notes when each event was published.

A third kind runs interleaved with the two: the design built with nothing else (bench/minimal.py),
the floor measured whole rather than summed from pieces timed alone."""

import multiprocessing
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection as PipeEnd
from typing import Any

import redis
from websockets.sync.connection import Connection

from app.streams.events import (
    TASK_COMPLETED,
    TASK_CREATED,
    TASK_STARTED,
    TERMINAL_EVENTS,
    peek_header,
    session_channel,
)
from bench import floor, native_cli
from bench.bare import run_cli
from bench.minimal import Minimal
from bench.report import BenchResult, Figure
from bench.stats import summary_ms
from bench.systems import CliCommand, CliRun, Context, Systems, cli_command, read_runs
from tests.support.stack import Stack

SESSION = "bench-dispatch"
KINDS = ("system", "bare", "minimal")
MINIMAL_DB = 12
MINIMAL_LABEL = "the design built with nothing else (bench/minimal.py): POST → task.completed"
WARMUP = 6
TIMEOUT_SECONDS = 60
GOAL_P50_RATIO = 1.5
GOAL_P99_RATIO = 2.0


@dataclass
class Trip:
    prompt: str
    sent: float  # time.time() of the POST (or apply_async)
    answered: float  # seconds until the POST's answer (or apply_async's return)
    took: float  # seconds until the end was received
    task_id: str = ""


def _note_announcements(url: str, session: str, ready: Any, stop: Any, out: PipeEnd) -> None:
    """The subscriber's own process: when each event of `session` arrived, sent back at the end."""
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub()
    pubsub.subscribe(session_channel(session))
    pubsub.get_message(timeout=5)  # the subscription's confirmation
    ready.set()
    at: dict[tuple[str, str], float] = {}
    while not stop.is_set():
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            header = peek_header(message["data"].decode())
            if header:
                at.setdefault((header[0], header[1]), time.time())
    out.send(at)
    pubsub.close()
    client.close()


class Announcements:
    """A plain Redis subscriber on the session's channel: when each event was published
    (type, task id) → time.time() of its arrival, a fraction of a millisecond after. It runs in
    a process of its own: as a thread of the benchmark it waited for the GIL while the round
    trip's thread read the socket (events noted up to 5 ms late), and took it from that thread,
    which the bare round trips, on another channel, never paid."""

    def __init__(self, url: str, session: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        ready = context.Event()
        self._results, sending = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_note_announcements,
            args=(url, session, ready, self._stop, sending),
            name="announcements",
            daemon=True,
        )
        self._process.start()
        if not ready.wait(30):
            self._process.kill()
            raise RuntimeError("the announcements' subscriber did not start")
        self.at: dict[tuple[str, str], float] = {}

    def close(self) -> None:
        self._stop.set()
        if self._results.poll(10):
            self.at = self._results.recv()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()


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


NAN = float("nan")


Published = dict[tuple[str, str], float]


def system_steps(
    stack: Stack, trips: list[Trip], runs: dict[str, CliRun], published: Published
) -> dict[str, dict[str, Any]]:
    """Each step of the system's round trip, one after the other on the clock: the task's
    recorded times, the stand-in's start and end, when each event reached Redis."""
    steps: dict[str, list[float]] = {}
    for trip in trips:
        task = stack.task(trip.task_id)
        run = runs.get(trip.prompt)
        marks = [
            ("submit: POST → task made in the handler (created_at)", task["created_at"]),
            ("record: → committed, task.created published", (TASK_CREATED, trip.task_id)),
            ("queue: → claimed by a pool process (started_at)", task["started_at"]),
            ("claim: → claim committed, task.started published", (TASK_STARTED, trip.task_id)),
            ("spawn: → CLI started", run.started if run else NAN),
            ("cli: → CLI ended (the stand-in itself)", run.ended if run and run.ended else NAN),
            ("read: → finish begun (finished_at)", task["finished_at"]),
            ("finish: → committed, task.completed published", (TASK_COMPLETED, trip.task_id)),
            ("relay: → task.completed received on the WebSocket", trip.sent + trip.took),
        ]
        previous = trip.sent
        for name, mark in marks:
            if isinstance(mark, str):
                at = _timestamp(mark)
            elif isinstance(mark, tuple):
                at = published.get(mark, NAN)
            else:
                at = mark
            steps.setdefault(name, []).append(at - previous)
            previous = at
    return {name: summary_ms([v for v in values if v == v]) for name, values in steps.items()}


def bare_steps(trips: list[Trip], runs: dict[str, CliRun]) -> dict[str, dict[str, Any]]:
    steps: dict[str, list[float]] = {}
    for trip in trips:
        run = runs.get(trip.prompt)
        if run is None or run.ended is None:
            continue
        for name, value in (
            ("apply_async → CLI started", run.started - trip.sent),
            ("cli: → CLI ended (the stand-in itself)", run.ended - run.started),
            ("→ result received", trip.sent + trip.took - run.ended),
        ):
            steps.setdefault(name, []).append(value)
    return {name: summary_ms(values) for name, values in steps.items()}


BASELINES = {"bare": "bare Celery", "minimal": "the minimal build"}


def _figure(
    label: str,
    stats: dict[str, Any],
    q: str,
    goal: float | None,
    kind: str = "system",
    against: str = "bare",
) -> Figure:
    figure = Figure(
        f"{label} {q}",
        "ms",
        stats[kind].get(q, NAN),
        stats[against].get(q, NAN),
        BASELINES[against],
        goal=f"≤ {goal}x" if goal else "",
    )
    if goal and figure.ratio is not None:
        figure.met = figure.ratio <= goal
    return figure


def run(ctx: Context) -> BenchResult:
    count = 30 if ctx.quick else 300
    result = BenchResult("dispatch", f"Dispatch round trip, {count} sequential tasks")
    trips: dict[str, list[Trip]] = {kind: [] for kind in KINDS}
    with Systems(ctx, "dispatch", native=True) as systems:
        assert systems.native is not None
        stack = systems.stack
        cwd = stack.env["BRAIN_DIR"]
        command = cli_command(stack.env, "the minimal build's prompt")
        minimal = Minimal(
            systems.dir / "minimal", ctx.redis_url(MINIMAL_DB), command.argv, stack.env
        )
        announcements = Announcements(stack.env["REDIS_URL"], SESSION)
        try:
            with stack.ws(SESSION) as ws, minimal:
                for index in range(-WARMUP, count):
                    run_id = uuid.uuid4().hex[:12]
                    # Rotate who goes first, so none always runs on a just-woken machine.
                    turn = index % len(KINDS)
                    for kind in KINDS[turn:] + KINDS[:turn]:
                        prompt = f"bench {kind} {index} {run_id}"
                        if kind == "system":
                            trip = system_round_trip(stack, ws, prompt)
                        elif kind == "bare":
                            trip = bare_round_trip(prompt, cli_command(stack.env, prompt), cwd)
                        else:
                            trip = Trip(prompt, *minimal.round_trip(prompt, TIMEOUT_SECONDS))
                        if index >= 0:
                            trips[kind].append(trip)
        finally:
            announcements.close()
        runs = read_runs(systems.start_log)
        breakdown = system_steps(stack, trips["system"], runs, announcements.at)
        stand_in = native_cli.cost([str(systems.native.path), "-p"], runs=50 if ctx.quick else 200)
        python_stand_in = native_cli.cost([str(systems.launcher), "-p"], runs=20)
        api_url = f"http://127.0.0.1:{stack.port}"
        least = floor.measure(
            api_url, stack.env["REDIS_URL"], systems.dir, 100 if ctx.quick else 300
        )
    trip_ms = {kind: summary_ms([t.took for t in values]) for kind, values in trips.items()}
    start_ms = {
        kind: summary_ms([runs[t.prompt].started - t.sent for t in values if t.prompt in runs])
        for kind, values in trips.items()
    }
    result.details = {
        "tasks": count,
        "stand_in": {
            "kind": systems.native.kind,
            "alone_ms": stand_in,
            "python_stand_in_alone_ms": python_stand_in,
        },
        "round_trip_ms": trip_ms,
        "to_cli_start_ms": start_ms,
        "submit_answered_ms": {
            kind: summary_ms([t.answered for t in values]) for kind, values in trips.items()
        },
        "system_steps_ms": breakdown,
        "floor": least,
        "bare_steps_ms": bare_steps(trips["bare"], runs),
        "samples_ms": {
            kind: [round(t.took * 1000, 3) for t in values] for kind, values in trips.items()
        },
    }
    bare_p50 = trip_ms["bare"]["p50"]
    best = Figure(
        "the design's floor: bare + what it must add (HTTP, 3 commits, 3 publishes, setpriv), p50",
        "ms",
        round(bare_p50 + least["floor_p50_ms"], 3),
        bare_p50,
        "bare Celery",
    )
    result.figures += [
        _figure("POST → task.completed", trip_ms, "p50", GOAL_P50_RATIO),
        best,
        _figure("POST → task.completed", trip_ms, "p99", GOAL_P99_RATIO),
        _figure(MINIMAL_LABEL, trip_ms, "p50", GOAL_P50_RATIO, kind="minimal"),
        _figure(MINIMAL_LABEL, trip_ms, "p99", GOAL_P99_RATIO, kind="minimal"),
        _figure(
            "the system against the minimal build, POST → task.completed",
            trip_ms,
            "p50",
            None,
            against="minimal",
        ),
        _figure("POST → CLI started", start_ms, "p50", None),
        _figure("POST → CLI started", start_ms, "p99", None),
        Figure(
            f"the stand-in alone ({systems.native.kind}), spawned, p50",
            "ms",
            stand_in["stand_in"]["p50"],
            stand_in["true"]["p50"],
            "/bin/true",
        ),
    ]
    return result
