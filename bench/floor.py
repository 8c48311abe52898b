"""The dispatch floor: what this design adds to bare Celery's round trip at the very least,
measured piece by piece in the same run as the round trips themselves.

Beyond what bare Celery does, every task here needs an HTTP request answered by the API, three
write transactions (record, claim, finish), three Redis publishes (created, started, the output;
the end's publish stands where bare Celery stores its result) and a spawn through `setpriv`
(the parent-death signal). Each is timed alone, doing nothing else, with the settings the system
uses: the sum is the least any implementation of this design adds, so (bare + floor) / bare is
the best ratio it can reach."""

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import redis

from app.streams.events import session_channel
from bench import native_cli
from bench.stats import summary_ms
from worker.process import SETPRIV

TRANSACTIONS = 3  # record, claim, finish
PUBLISHES = 3  # created, started, output


def _timed(action: Callable[[], object], runs: int) -> dict[str, Any]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        took.append(time.perf_counter() - started)
    return summary_ms(took)


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
    client = httpx.Client(base_url=api_url)
    publisher = redis.Redis.from_url(redis_url)
    channel = session_channel("bench-floor")
    pieces = {
        # the API's whole request path (middleware, routing, authentication) doing no work:
        # a request without a token, refused
        "http_request": _timed(lambda: client.get("/api/tasks"), runs),
        "write_transaction": _timed(_sqlite_commit(scratch / "floor.db"), runs),
        "redis_publish": _timed(lambda: publisher.publish(channel, b"x" * 200), runs),
    }
    # setpriv before /bin/true against /bin/true alone, interleaved (none where the worker
    # spawns without it)
    argv = [SETPRIV, "--pdeathsig", "TERM", "--", "/bin/true"] if SETPRIV else ["/bin/true"]
    spawns = native_cli.cost(argv, runs=runs)
    true, setpriv = spawns["true"], spawns["stand_in"]
    client.close()
    publisher.close()
    p50 = {name: figures["p50"] for name, figures in pieces.items()}
    added = {
        "http_request": p50["http_request"],
        "write_transactions": TRANSACTIONS * p50["write_transaction"],
        "redis_publishes": PUBLISHES * p50["redis_publish"],
        "setpriv": max(0.0, setpriv["p50"] - true["p50"]),
    }
    return {
        "pieces_ms": pieces,
        "spawn_ms": {"true": true, "setpriv_true": setpriv},
        "added_p50_ms": {name: round(value, 3) for name, value in added.items()},
        "floor_p50_ms": round(sum(added.values()), 3),
    }
