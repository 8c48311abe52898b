"""A worker killed with SIGKILL while three tasks run and five wait: every task ends (the
running ones FAILED with the reason, the waiting ones run by the next worker), nothing that
had completed runs again, and no CLI or tool of the killed worker survives."""

import uuid
from collections.abc import Callable

import psutil

from tests.support.processes import wait_until
from tests.support.stack import Stack, alive, cmdline, processes_with


def _tool(seconds: int) -> str:
    return f"python3 -c 'import time; time.sleep({seconds})'"


def _tools(marker: str) -> list[psutil.Process]:
    """The tools' python processes (their shells hold the marker too)."""
    return [p for p in processes_with(f"{marker}-tool") if cmdline(p)[:1] == ["python3"]]


def _printed_its_tool_call(stack: Stack, task_id: str) -> bool:
    return any('"tool_use"' in chunk["line"] for chunk in stack.output_lines(task_id))


def test_worker_killed_with_three_running_and_five_waiting(
    make_stack: Callable[..., Stack], stub_requests_with: Callable[[str], int]
) -> None:
    stack = make_stack(MAX_CONCURRENT_TASKS=3)
    stack.start_api()
    worker = stack.start_worker("first")
    marker = f"mark-{uuid.uuid4().hex}"

    early = [stack.submit(f"{marker}-early-{n}\n@stub text done early") for n in range(2)]
    early_done = [stack.wait_done(task["id"]) for task in early]
    assert [task["status"] for task in early_done] == ["completed"] * 2

    # The first three run tools that would take minutes; the five behind them, short ones.
    slow = [
        stack.submit(f"{marker}-{n}\n@stub bash {_tool(300 if n < 3 else 1)} {marker}-tool")
        for n in range(8)
    ]
    running = [task["id"] for task in slow[:3]]
    wait_until(lambda: len(_tools(marker)) == 3, 60, what="three tools to run")
    for task_id in running:
        wait_until(
            lambda task_id=task_id: _printed_its_tool_call(stack, task_id), 30, what="tool call"
        )
    statuses = [stack.task(task["id"])["status"] for task in slow]
    assert statuses == ["running"] * 3 + ["queued"] * 5, statuses
    pool = psutil.Process(worker.pid).children(recursive=True)  # pool, CLIs, tools
    assert set(_tools(marker)) <= set(pool)

    worker.kill_group()  # SIGKILL to the worker and its pool processes

    wait_until(lambda: not alive(pool), 5, what="every CLI and tool of the killed worker to end")
    assert not processes_with(marker) and not any(processes_with(id_) for id_ in running)

    stack.start_worker("second")
    ended = {task["id"]: stack.wait_done(task["id"], timeout=90) for task in slow}
    for task_id, task in ended.items():
        if task_id in running:  # lost with its worker: failed with the reason, or run again
            assert task["status"] in {"failed", "completed"}, task
            if task["status"] == "failed":
                assert "stopped responding" in task["error"], task
                assert _printed_its_tool_call(stack, task_id), "its output is kept"
        else:
            assert task["status"] == "completed", task
            assert task["worker_id"].startswith("second@"), task

    # Nothing that completed runs again: its record and the model's requests stay as they are.
    wait_until(lambda: not processes_with(marker), 10, what="the last runs to end")
    completed = [task for task in [*early_done, *ended.values()] if task["status"] == "completed"]
    for before in completed:
        after = stack.task(before["id"])
        assert (after["started_at"], after["worker_id"]) == (
            before["started_at"],
            before["worker_id"],
        )
    for n in range(2):
        assert stub_requests_with(f"{marker}-early-{n}\\n") == 1
    for n, task in enumerate(slow):
        # a completed tool run asks the model twice (the tool call, then with its result)
        expected = 2 if ended[task["id"]]["status"] == "completed" else 1
        assert stub_requests_with(f"{marker}-{n}\\n") == expected, ended[task["id"]]
