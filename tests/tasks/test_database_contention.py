"""SQLite under contention: reads take no write lock, a run rides out a locked database without
losing a line, and the output endpoint pages."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import running_stack
from tests.support.processes import wait_until
from tests.support.stack import Stack

LINES = 200  # (thousands of lines: the CLI on the stub sometimes loses its last ones)


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[tuple[Stack, str]]:
    """A system whose SQLite gives up on a lock after 0.5 s, and a task with a long output."""
    with running_stack(tmp_path_factory, stub_url, SQLITE_BUSY_TIMEOUT_SECONDS=0.5) as system:
        task = system.wait_done(system.submit(f"@stub lines {LINES}")["id"], timeout=120)
        assert task["status"] == "completed", task
        yield system, task["id"]


@contextmanager
def write_lock_held(stack: Stack) -> Iterator[None]:
    """Another process writes: it holds SQLite's write lock until the block ends."""
    writer = sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///"))
    writer.isolation_level = None
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_reads_are_answered_while_another_process_writes(busy: tuple[Stack, str]) -> None:
    """Before, every read began with BEGIN IMMEDIATE: it waited for the writer, then failed."""
    stack, big = busy
    with write_lock_held(stack):
        answers = [
            stack.client.get(path)
            for path in (
                f"/api/tasks/{big}",
                f"/api/tasks/{big}/output",
                "/api/tasks?limit=5",
                "/api/costs",
                "/api/sessions/default",
            )
        ]
    assert [answer.status_code for answer in answers] == [200] * len(answers), [
        answer.text for answer in answers
    ]


def test_a_run_rides_out_a_locked_database_and_keeps_every_line(busy: tuple[Stack, str]) -> None:
    stack, _big = busy
    task = stack.submit("@stub slow 5")
    wait_until(lambda: len(stack.output_lines(task["id"])) >= 5, 60, what="output to flow")
    with write_lock_held(stack):  # far past the busy timeout: saves and beats fail meanwhile
        worker = stack.workers[0]
        wait_until(lambda: "output not saved yet" in worker.log(), 30, what="a failed save")
    done = stack.wait_done(task["id"], timeout=60)
    assert done["status"] == "completed", done
    seqs = [chunk["seq"] for chunk in stack.output_lines(task["id"])]
    assert seqs == list(range(2, 2 + len(seqs))) and len(seqs) > 20
    assert "Internal worker error" not in worker.log()


def test_the_output_comes_a_page_at_a_time(busy: tuple[Stack, str]) -> None:
    stack, big = busy
    whole = stack.client.get(f"/api/tasks/{big}/output").json()  # one page: 1000 by default
    assert len(whole["chunks"]) > LINES and whole["next_after_seq"] is None
    seqs: list[int] = []
    after = -1
    while after is not None:
        page = stack.client.get(
            f"/api/tasks/{big}/output", params={"after_seq": after, "limit": 30}
        ).json()
        seqs += [chunk["seq"] for chunk in page["chunks"]]
        after = page["next_after_seq"]
    assert seqs == [chunk["seq"] for chunk in whole["chunks"]]
    last = stack.client.get(f"/api/tasks/{big}/output", params={"after_seq": seqs[-2]}).json()
    assert [c["seq"] for c in last["chunks"]] == [seqs[-1]] and last["next_after_seq"] is None
    too_many = stack.client.get(f"/api/tasks/{big}/output", params={"limit": 5001})
    assert too_many.status_code == 422
