"""Rows for the history benchmark, written straight into the database (executemany on SQLite,
COPY on PostgreSQL), never through the API: a year of finished tasks with their output lines
and conversations. Both databases of a run also get the same working set: the rows the
measured requests read (the newest tasks of session "bench", its active tasks, a month of one
task a day per session, a finished task to replay), so the only difference is the history."""

import json
import random
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

SESSION = "bench"
REPLAY_SESSION = "bench-replay"
REPLAY_TASK = "0" * 31 + "r"
WORKING_TASKS = 60
AGENTS = [None, "planning", "executor", "brain", "service-integrator"]
SOURCES = ["api", "chat", "webhook"]
HISTORY_SESSIONS = 50  # "bench" among them: its list and its active tasks sit on a long history
HISTORY_DAYS = 365
RECENT_DAYS = 30

TASK_COLUMNS = [
    "id",
    "status",
    "agent",
    "model",
    "prompt",
    "source",
    "session_id",
    "conversation_id",
    "result",
    "error",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "num_turns",
    "duration_ms",
    "created_at",
    "dispatched_at",
    "started_at",
    "finished_at",
    "worker_id",
    "heartbeat_at",
    "stop_requested",
]
CHUNK_COLUMNS = ["task_id", "seq", "line"]
SESSION_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "task_count",
    "total_cost_usd",
    "total_input_tokens",
    "total_output_tokens",
]
CONVERSATION_COLUMNS = [
    "id",
    "title",
    "session_id",
    "agent",
    "total_cost_usd",
    "created_at",
    "updated_at",
]
MESSAGE_COLUMNS = ["id", "conversation_id", "role", "content", "task_id", "cost_usd", "created_at"]


@dataclass(frozen=True)
class Sizes:
    tasks: int
    lines: int
    conversations: int
    replay_lines: int  # the working set's finished task that is replayed


FULL = Sizes(tasks=100_000, lines=2_000_000, conversations=10_000, replay_lines=10_000)
QUICK = Sizes(tasks=2_000, lines=40_000, conversations=200, replay_lines=2_000)


class Writer(Protocol):
    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int: ...

    def close(self) -> None: ...


class SqliteWriter:
    """executemany in one transaction, stored as SQLAlchemy stores it (naive UTC text)."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        # A scratch database: no journal while loading (WAL would write every row twice); the
        # app turns WAL on again when it connects.
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")

    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        converted = (tuple(_sqlite_value(value) for value in row) for row in rows)
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        cursor.executemany(statement, converted)
        cursor.execute("COMMIT")
        return cursor.rowcount

    def close(self) -> None:
        self.connection.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


class PostgresWriter:
    """COPY … FROM STDIN, one table at a time."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)

    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        count = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def close(self) -> None:
        self.connection.close()


def _line(seq: int, task_id: str) -> str:
    """A stream-json line of the size the CLI prints for a short reply (~200 bytes)."""
    text = f"Step {seq}: reading the repository and writing the change, as the plan says."
    message = {"id": f"msg_{task_id[:12]}{seq}", "content": [{"type": "text", "text": text}]}
    return json.dumps({"type": "assistant", "message": message, "session_id": task_id})


def _task(
    task_id: str,
    created: datetime,
    session: str,
    *,
    status: str = "COMPLETED",
    agent: str | None = None,
    source: str = "api",
    conversation: str | None = None,
    cost: float | None = 0.01,
) -> tuple[Any, ...]:
    started = created + timedelta(seconds=1)
    finished = started + timedelta(seconds=30) if status != "QUEUED" else None
    running = status == "RUNNING"
    return (
        task_id,
        status,
        agent,
        None,
        f"Look at issue {task_id[:6]} and fix what it describes; say what you changed.",
        source,
        session,
        conversation,
        "Done: the fix is in, with a test." if status == "COMPLETED" else None,
        "The run failed." if status == "FAILED" else None,
        None if status in ("QUEUED", "RUNNING") else cost,
        1200,
        300,
        3,
        30_000,
        created,
        created,
        None if status == "QUEUED" else started,
        None if running else finished,
        None if status == "QUEUED" else "bench-worker",
        # A heartbeat far ahead: no sweeper fails the working set's running task meanwhile.
        created + timedelta(days=1) if running else None,
        False,
    )


def working_set(writer: Writer, sizes: Sizes, now: datetime) -> None:
    """The rows every measured request reads, the same in both databases."""
    rng = random.Random(5)
    tasks = [
        _task(
            f"{n:031d}w",
            now - timedelta(minutes=50 - n * 0.5),
            SESSION,
            agent=rng.choice(AGENTS),
            source=rng.choice(SOURCES),
            cost=round(rng.uniform(0.001, 0.2), 6),
        )
        for n in range(WORKING_TASKS)
    ]
    tasks += _recent_month(now)
    tasks.append(_task("0" * 31 + "q", now - timedelta(minutes=5), SESSION, status="QUEUED"))
    tasks.append(_task("0" * 31 + "u", now - timedelta(minutes=4), SESSION, status="RUNNING"))
    tasks.append(_task(REPLAY_TASK, now - timedelta(minutes=55), REPLAY_SESSION))
    writer.write("tasks", TASK_COLUMNS, tasks)
    writer.write(
        "task_chunks",
        CHUNK_COLUMNS,
        ((REPLAY_TASK, seq, _line(seq, REPLAY_TASK)) for seq in range(2, 2 + sizes.replay_lines)),
    )
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task[6]] = counts.get(task[6], 0) + 1
    rows = [(session, now, now, count, 0.01 * count, 0, 0) for session, count in counts.items()]
    writer.write("sessions", SESSION_COLUMNS, rows)


def _recent_month(now: datetime) -> list[tuple[Any, ...]]:
    """A task a day in each session of the history over the last RECENT_DAYS days, with every
    agent and source: GET /api/costs?days=30 then has the same groups to sum with or without
    the history, which only makes each sum larger (and the tasks before them many more)."""
    tasks = []
    for day in range(RECENT_DAYS):
        for n, session in enumerate(_sessions()):
            tasks.append(
                _task(
                    f"{day:05d}{n:026d}m",
                    now - timedelta(days=day, hours=1, minutes=n),
                    session,
                    agent=AGENTS[n % len(AGENTS)],
                    source=SOURCES[n % len(SOURCES)],
                )
            )
    return tasks


def _sessions() -> list[str]:
    return [SESSION] + [f"user-{n}" for n in range(HISTORY_SESSIONS - 1)]


def history(writer: Writer, sizes: Sizes, now: datetime) -> dict[str, int]:
    """A year of finished tasks (ending two hours ago), their output and conversations. (Their
    sessions are the working set's: the totals of a session row are not what is measured.)"""
    rng = random.Random(17)
    sessions = _sessions()
    span = timedelta(days=HISTORY_DAYS).total_seconds()
    newest = now - timedelta(hours=2)
    chat_tasks = 2 * sizes.conversations
    conversations: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    tasks: list[tuple[Any, ...]] = []
    for n in range(sizes.tasks):
        task_id = f"{n:031d}h"
        created = newest - timedelta(seconds=rng.uniform(0, span))
        session = rng.choice(sessions)
        status = rng.choices(["COMPLETED", "FAILED", "CANCELLED"], [90, 8, 2])[0]
        cost = round(rng.uniform(0.001, 0.5), 6)
        conversation = None
        if n < chat_tasks:
            conversation = f"{n // 2:031d}c"
            if n % 2 == 0:
                conversations.append(
                    (conversation, f"Conversation {n // 2}", session, None, 0.0, created, created)
                )
            for role, offset in (("USER", 0), ("ASSISTANT", 31)):
                moment = created + timedelta(seconds=offset)
                content = "Please fix the failing test." if role == "USER" else "Fixed it."
                messages.append(
                    (f"{n:030d}{role[0]}m", conversation, role, content, task_id, None, moment)
                )
        tasks.append(
            _task(
                task_id,
                created,
                session,
                status=status,
                agent=rng.choice(AGENTS),
                source="chat" if conversation else rng.choice(["api", "webhook"]),
                conversation=conversation,
                cost=cost,
            )
        )
    writer.write("tasks", TASK_COLUMNS, tasks)
    writer.write("conversations", CONVERSATION_COLUMNS, conversations)
    writer.write("messages", MESSAGE_COLUMNS, messages)
    writer.write("task_chunks", CHUNK_COLUMNS, _chunks(sizes))
    return {"tasks": len(tasks), "conversations": len(conversations), "messages": len(messages)}


def _chunks(sizes: Sizes) -> Iterator[tuple[str, int, str]]:
    """sizes.lines output lines, spread evenly over the history's tasks, in index order."""
    per_task = max(1, sizes.lines // sizes.tasks)
    lines = [_line(seq, "x" * 32) for seq in range(2, 2 + per_task)]
    for n in range(sizes.tasks):
        task_id = f"{n:031d}h"
        for seq, line in enumerate(lines, start=2):
            yield task_id, seq, line
