"""Concurrency limit, a worker killed with SIGKILL, and a broker message that vanished."""

import threading
import time

import psutil
import redis

from tests.support.processes import wait_until
from tests.support.stack import Stack, cli_runs, processes_with


def _cli_processes(task_ids: list[str]) -> list[int]:
    """The CLI processes of these tasks' runs (each carries AGENT_TASK_ID) alive together: a
    scan of every process takes a while on a loaded machine, so a CLI that ended early in it
    and one started late in it would both be counted; each found is asked again at the end."""
    found = [p for task_id in task_ids for p in processes_with(task_id)]
    return [p.pid for p in cli_runs(found) if _still_running(p)]


def _still_running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_never_more_cli_processes_than_the_limit(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(MAX_CONCURRENT_TASKS=2)
    stack.start_api()
    stack.start_worker()
    most = 0
    stop = threading.Event()
    task_ids: list[str] = []

    def sample() -> None:
        nonlocal most
        while not stop.is_set():
            most = max(most, len(_cli_processes(list(task_ids))))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        task_ids += [stack.submit(f"task {n}\n@stub slow 2")["id"] for n in range(6)]
        done = [stack.wait_done(task_id, timeout=120) for task_id in task_ids]
    finally:
        stop.set()
        sampler.join()
    assert [task["status"] for task in done] == ["completed"] * 6
    assert most == 2, f"at most 2 CLI processes at once, saw {most}"


def test_worker_killed_mid_task_fails_the_task_and_its_cli_dies(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack()
    stack.start_api()
    worker = stack.start_worker()
    task = stack.submit("@stub slow 120")
    stack.wait_status(task["id"], {"running"})
    wait_until(lambda: _cli_processes([task["id"]]), 30, what="the CLI to start")

    worker.kill_group()  # SIGKILL to the worker and its pool processes

    wait_until(lambda: not processes_with(task["id"]), 5, what="the orphaned CLI to end")
    done = stack.wait_done(task["id"], timeout=30)
    assert done["status"] == "failed"
    assert "stopped responding" in done["error"]


def test_a_task_whose_broker_message_vanished_still_runs(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack()
    stack.start_api()
    task = stack.submit("@stub text found again")
    broker = redis.Redis.from_url(stack.env["REDIS_URL"])
    wait_until(lambda: broker.llen(stack.env["CELERY_QUEUE"]) == 1, 5, what="the message")
    broker.delete(stack.env["CELERY_QUEUE"])  # the message is gone; the database still has the task

    stack.start_worker()
    done = stack.wait_done(task["id"], timeout=60)
    assert done["status"] == "completed" and done["result"] == "found again"
