"""Flat cost as the history grows: the same requests on a database holding only the working set
the requests read ("empty") and on one that also holds a year of history (100,000 finished
tasks, 2 million output lines, 10,000 conversations; a tenth with --quick), two APIs side by
side, requests interleaved one by one, on SQLite and on PostgreSQL (a scratch database per run
on BENCH_POSTGRES_URL's server). Goal: each p50 ≤ 1.2x its empty-database p50.

The seeded database is filled at revision 0005 and then migrated to head, so the run also shows
the plans of the former queries and of today's (bench/history_plans.py), and what migration
0006 costs on a full database."""

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from alembic.config import Config

from app.db import build_engine
from app.streams.events import TERMINAL_EVENTS, peek_header
from bench import history_plans, history_seed
from bench.report import BenchResult, Figure
from bench.stats import summary_ms
from bench.systems import DEPLOYMENT_SETTINGS, NO_MODEL, Context
from tests.support.processes import ROOT
from tests.support.stack import Stack

GOAL_RATIO = 1.2
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_DBS = {"empty": 12, "seeded": 13}
WARMUP = 2
DAILY_BUDGET_USD = 1_000_000  # on, so every submit checks it; never reached


Request = Callable[[Stack], None]


def _ok(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.url} answered {response.status_code}: {response.text[:300]}"
        )


def _post_task(stack: Stack) -> None:
    _ok(stack.client.post("/api/tasks", json={"prompt": "bench", "session_id": "bench-post"}))


def _post_chat(stack: Stack) -> None:
    _ok(stack.client.post("/api/chat", json={"message": "bench", "session_id": "bench-chat"}))


def _get(path: str, **params: Any) -> Request:
    return lambda stack: _ok(stack.client.get(path, params=params))


def _replay_pages(stack: Stack, expected: int) -> None:
    """Every line of the replay task through the output paging API, as the dashboard reads."""
    after, lines = -1, 0
    while after is not None:
        response = stack.client.get(
            f"/api/tasks/{history_seed.REPLAY_TASK}/output", params={"after_seq": after}
        )
        _ok(response)
        page = response.json()
        lines += len(page["chunks"])
        after = page["next_after_seq"]
    if lines != expected:
        raise RuntimeError(f"paging replayed {lines} lines, not {expected}")


def _replay_socket(stack: Stack, expected: int) -> None:
    """A late joiner watching the finished task: every line, then its end."""
    lines = 0
    with stack.ws(f"bench-ws-{uuid.uuid4().hex[:8]}") as ws:
        ws.send(json.dumps({"action": "watch", "task_id": history_seed.REPLAY_TASK}))
        while True:
            raw = ws.recv(timeout=60)
            header = peek_header(raw if isinstance(raw, str) else raw.decode())
            if header is None or header[1] != history_seed.REPLAY_TASK:
                continue
            if header[0] in TERMINAL_EVENTS:
                break
            lines += header[0] == "task.output"
    if lines != expected:
        raise RuntimeError(f"the socket replayed {lines} lines, not {expected}")


def requests(sizes: history_seed.Sizes, quick: bool) -> list[tuple[str, Request, int]]:
    """(figure, request, how many times): cheap requests many times, replays fewer."""
    many, few = (12, 2) if quick else (200, 10)
    lines = sizes.replay_lines
    return [
        ("POST /api/tasks", _post_task, many),
        ("POST /api/chat (new conversation)", _post_chat, many),
        (
            "GET /api/tasks?status=completed (first page)",
            _get("/api/tasks", status="completed"),
            many,
        ),
        (
            "GET /api/tasks?session_id=bench (first page)",
            _get("/api/tasks", session_id="bench"),
            many,
        ),
        ("GET /api/costs?days=30", _get("/api/costs", days=30), many),
        ("GET /api/sessions/bench", _get("/api/sessions/bench"), many),
        ("GET /api/conversations (first page)", _get("/api/conversations"), many),
        ("GET /api/metrics (a Prometheus scrape)", _get("/api/metrics"), few * 5),
        ("GET /api/status (the Status page, an autoscaler)", _get("/api/status"), few * 5),
        (f"replay {lines:,} lines, GET …/output pages", lambda s: _replay_pages(s, lines), few),
        (f"replay {lines:,} lines, WebSocket late joiner", lambda s: _replay_socket(s, lines), few),
    ]


@contextmanager
def _postgres_databases(names: list[str]) -> Iterator[dict[str, str] | None]:
    """Scratch PostgreSQL databases, dropped on the way out; None when no server answers."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    made = {name: f"ccagent_bench_{uuid.uuid4().hex[:10]}_{name}" for name in names}
    try:
        for database in made.values():
            admin.execute(f'CREATE DATABASE "{database}"')
        yield {name: f"{base}/{database}" for name, database in made.items()}
    finally:
        for database in made.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def _migrate(url: str, revision: str) -> float:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    started = time.perf_counter()
    command.upgrade(config, revision)
    return round(time.perf_counter() - started, 2)


def _writer(url: str) -> history_seed.Writer:
    if url.startswith("sqlite"):
        return history_seed.SqliteWriter(url.removeprefix("sqlite:///"))
    return history_seed.PostgresWriter(url)


def prepare(urls: dict[str, str], sizes: history_seed.Sizes) -> dict[str, Any]:
    """Both databases at 0005 with the working set, the history in "seeded"; the former
    queries explained there; then both migrated to head, and today's queries explained."""
    now = datetime.now(UTC)
    details: dict[str, Any] = {}
    for name, url in urls.items():
        _migrate(url, "0005")
        writer = _writer(url)
        try:
            history_seed.working_set(writer, sizes, now)
            if name == "seeded":
                started = time.perf_counter()
                details["seeded_rows"] = history_seed.history(writer, sizes, now)
                details["seed_seconds"] = round(time.perf_counter() - started, 1)
        finally:
            writer.close()
    _analyze(urls.values())
    seeded = build_engine(urls["seeded"])
    details["plans_before"] = history_plans.before(seeded)
    seeded.dispose()
    details["migration_0006_seconds"] = {name: _migrate(url, "head") for name, url in urls.items()}
    _analyze(urls.values())  # the migration filled the cost rollup: a bulk load too
    seeded = build_engine(urls["seeded"])
    details["plans_after"] = history_plans.after(seeded)
    seeded.dispose()
    return details


def _analyze(urls: Iterable[str]) -> None:
    """What PostgreSQL's autovacuum does within a minute or so of a bulk load: statistics for
    the planner (without them a range on a new table is taken to match a third of it, and read
    whole) and the visibility map (an index-only scan needs it). SQLite plans without
    statistics here, as the app runs it."""
    for url in urls:
        engine = build_engine(url)
        try:
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                    db.exec_driver_sql("VACUUM ANALYZE")
        finally:
            engine.dispose()


def _start(ctx: Context, dialect: str, name: str, url: str) -> Stack:
    directory = ctx.tmp / f"history-{dialect}-{name}"
    directory.mkdir(parents=True)
    settings = {**DEPLOYMENT_SETTINGS, "DATABASE_URL": url, "DAILY_BUDGET_USD": DAILY_BUDGET_USD}
    stack = Stack(directory, ctx.redis_url(REDIS_DBS[name]), NO_MODEL, **settings)
    try:
        stack.start_api()
    except BaseException:
        stack.close()
        raise
    return stack


def measure(
    ctx: Context, dialect: str, urls: dict[str, str], sizes: history_seed.Sizes
) -> dict[str, dict[str, Any]]:
    """p50 of each request on both databases, the two APIs interleaved request by request."""
    stacks: dict[str, Stack] = {}
    try:
        with ThreadPoolExecutor(len(urls)) as pool:  # both APIs start at once
            starting = {
                name: pool.submit(_start, ctx, dialect, name, url) for name, url in urls.items()
            }
            for name, future in starting.items():
                stacks[name] = future.result()
        figures: dict[str, dict[str, Any]] = {}
        for label, request, count in requests(sizes, ctx.quick):
            took: dict[str, list[float]] = {name: [] for name in stacks}
            for index in range(-min(WARMUP, count // 2), count):
                order = list(stacks) if index % 2 == 0 else list(reversed(stacks))
                for name in order:
                    started = time.perf_counter()
                    request(stacks[name])
                    if index >= 0:
                        took[name].append(time.perf_counter() - started)
            figures[label] = {name: summary_ms(values) for name, values in took.items()}
        return figures
    finally:
        for stack in stacks.values():
            stack.close()


def run(ctx: Context) -> BenchResult:
    sizes = history_seed.QUICK if ctx.quick else history_seed.FULL
    result = BenchResult(
        "history",
        f"Flat cost: {sizes.tasks:,} tasks, {sizes.lines:,} lines, {sizes.conversations:,}"
        " conversations vs the working set alone",
    )
    result.details = {"sizes": vars(sizes), "goal": f"p50 ≤ {GOAL_RATIO}x the empty database's"}
    warnings: list[str] = []
    dialects: dict[str, Callable[[], Any]] = {
        "sqlite": lambda: _sqlite_databases(ctx.tmp / "history-db"),
        "postgresql": lambda: _postgres_databases(["empty", "seeded"]),
    }
    for dialect, databases in dialects.items():
        with databases() as urls:
            if urls is None:
                warnings.append(f"no PostgreSQL server answers at {POSTGRES_URL}: not measured")
                continue
            started = time.perf_counter()
            details = prepare(urls, sizes)
            prepared = time.perf_counter()
            details["figures"] = measure(ctx, dialect, urls, sizes)
            details["seconds"] = {
                "prepare": round(prepared - started, 1),
                "measure": round(time.perf_counter() - prepared, 1),
            }
        result.details[dialect] = details
        for label, sides in details["figures"].items():
            seeded, empty = sides["seeded"]["p50"], sides["empty"]["p50"]
            result.figures.append(
                Figure(
                    f"{dialect}: {label} p50",
                    "ms",
                    seeded,
                    empty,
                    "empty database",
                    goal=f"≤ {GOAL_RATIO}x",
                    met=seeded <= GOAL_RATIO * empty,
                )
            )
    result.details["warnings"] = warnings
    print_plans(result.details)
    return result


def print_plans(details: dict[str, Any]) -> None:
    """The plans of the former queries and of today's, one line each, beside their time."""
    for dialect in ("sqlite", "postgresql"):
        if dialect not in details:
            continue
        print(f"\nQuery plans on the seeded {dialect} database (ms: median in this process):")
        for name, query in details[dialect]["plans_before"].items():
            print(f"  before  {name} ({query['ms']} ms): {' / '.join(query['plan'][:4])}")
        for name, query in details[dialect]["plans_after"].items():
            plans = " ; ".join(" / ".join(q["plan"][:4]) for q in query["queries"])
            print(f"  after   {name} ({query['ms']} ms): {plans}")


@contextmanager
def _sqlite_databases(directory: Path) -> Iterator[dict[str, str]]:
    directory.mkdir(parents=True, exist_ok=True)
    yield {name: f"sqlite:///{directory / f'{name}.db'}" for name in ("empty", "seeded")}
