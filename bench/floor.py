"""The dispatch floor: what this design adds to bare Celery's round trip at the very least,
measured piece by piece in the same run as the round trips themselves.

Beyond what bare Celery does, every task here needs an HTTP request answered by the API, three
write transactions (record, claim, finish), three Redis publishes (created, started, the output;
the end's publish stands where bare Celery stores its result) and a spawn through `setpriv`
(the parent-death signal). Each is timed alone, doing nothing else, with the settings the system
uses: the sum is the least any implementation of this design adds, so (bare + floor) / bare is
the best ratio it can reach.

For throughput the same pieces are counted in CPU instead (`cpu_per_task`): the whole machine's
CPU time (every process and the kernel: client, API, Redis, the spawned programs) per piece,
each run alone many times. With both sides bound by the same cores, no implementation of this
design can run more tasks per second than cores / (bare Celery's CPU per task + these)."""

import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis

from app.streams.events import session_channel
from bench import native_cli
from bench.cpu import machine_cpu_seconds
from bench.stats import summary_ms
from worker.process import SETPRIV

TRANSACTIONS = 3  # record, claim, finish
PUBLISHES = 3  # created, started, output
Action = Callable[[], object]


def _timed(action: Action, runs: int) -> dict[str, Any]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        took.append(time.perf_counter() - started)
    return summary_ms(took)


def _cpu_each(action: Action, seconds: float) -> float:
    """The machine's CPU per call of `action` (ms), called for `seconds`: /proc/stat counts in
    hundredths of a second, so a piece is repeated long enough to make that a small error."""
    before, started, calls = machine_cpu_seconds(), time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        action()
        calls += 1
    return (machine_cpu_seconds() - before) / calls * 1000


def _spawn(argv: list[str]) -> Action:
    return lambda: subprocess.run(argv, input=b"bench cost", capture_output=True, check=False)


def cpu_per_task(api_url: str, redis_url: str, scratch: Path, seconds: float) -> dict[str, Any]:
    """The machine's CPU (ms) each piece the design adds costs, and their sum per task."""
    with _pieces(api_url, redis_url, scratch / "floor-cpu.db") as pieces:
        each = {name: _cpu_each(action, seconds) for name, action in pieces.items()}
    each["spawn_true"] = _cpu_each(_spawn(["/bin/true"]), seconds)
    each["spawn_setpriv_true"] = _cpu_each(_spawn([*_setpriv(), "/bin/true"]), seconds)
    added = _per_task(
        each["http_request"],
        each["write_transaction"],
        each["redis_publish"],
        each["spawn_setpriv_true"] - each["spawn_true"],
    )
    return {
        "each_ms": {name: round(value, 4) for name, value in each.items()},
        "added_ms": {name: round(value, 4) for name, value in added.items()},
        "per_task_ms": round(sum(added.values()), 4),
    }


@contextmanager
def _pieces(api_url: str, redis_url: str, database: Path) -> Iterator[dict[str, Action]]:
    """The pieces other than the spawn, each a call to time or to count the CPU of."""
    client = httpx.Client(base_url=api_url)
    publisher = redis.Redis.from_url(redis_url)
    channel = session_channel("bench-floor")
    try:
        yield {
            # the API's whole request path (middleware, routing, authentication) doing no
            # work: a request without a token, refused
            "http_request": lambda: client.get("/api/tasks"),
            "write_transaction": _sqlite_commit(database),
            "redis_publish": lambda: publisher.publish(channel, b"x" * 200),
        }
    finally:
        client.close()
        publisher.close()


def _per_task(request: float, commit: float, publish: float, setpriv: float) -> dict[str, float]:
    """What one task adds, from what each piece costs once: one request, TRANSACTIONS commits,
    PUBLISHES publishes, one setpriv (never below nothing: a noisy difference can be)."""
    return {
        "http_request": request,
        "write_transactions": TRANSACTIONS * commit,
        "redis_publishes": PUBLISHES * publish,
        "setpriv": max(0.0, setpriv),
    }


def _setpriv() -> list[str]:
    """What the worker puts before the CLI (nothing where it spawns without setpriv)."""
    return [SETPRIV, "--pdeathsig", "TERM", "--"] if SETPRIV else []


def _sqlite_commit(path: Path) -> Callable[[], None]:
    """One small write transaction, as the app's SQLite connections make them (WAL, NORMAL)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)")
    db.execute("INSERT OR IGNORE INTO t VALUES (1, 0)")

    def commit() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE t SET v = v + 1 WHERE id = 1")
        db.execute("COMMIT")

    return commit


def measure(api_url: str, redis_url: str, scratch: Path, runs: int) -> dict[str, Any]:
    """p50s of each piece alone, and the floor they add up to (ms)."""
    with _pieces(api_url, redis_url, scratch / "floor.db") as actions:
        pieces = {name: _timed(action, runs) for name, action in actions.items()}
    # setpriv before /bin/true against /bin/true alone, interleaved (none where the worker
    # spawns without it)
    spawns = native_cli.cost([*_setpriv(), "/bin/true"], runs=runs)
    true, setpriv = spawns["true"], spawns["stand_in"]
    p50 = {name: figures["p50"] for name, figures in pieces.items()}
    added = _per_task(
        p50["http_request"],
        p50["write_transaction"],
        p50["redis_publish"],
        setpriv["p50"] - true["p50"],
    )
    return {
        "pieces_ms": pieces,
        "spawn_ms": {"true": true, "setpriv_true": setpriv},
        "added_p50_ms": {name: round(value, 3) for name, value in added.items()},
        "floor_p50_ms": round(sum(added.values()), 3),
    }
