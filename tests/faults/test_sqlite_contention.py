"""Three workers finishing many tasks at once on one SQLite file: no "database is locked"
anywhere, nothing lost: every task COMPLETED with every line it printed saved."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.support.processes import ROOT
from tests.support.stack import Stack

TASKS = 60
LINES_PER_TASK = 3  # bench/instant_cli.py prints init, one assistant line and the result


def test_three_workers_finish_many_tasks_at_once(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(CLAUDE_CLI_PATH=ROOT / "bench" / "instant_cli.py", MAX_CONCURRENT_TASKS=3)
    stack.start_api()
    for name in ("a", "b", "c"):
        stack.start_worker(name)

    # Submitted from several threads, so the API writes while the workers do.
    with ThreadPoolExecutor(max_workers=6) as pool:
        tasks = list(pool.map(lambda n: stack.submit(f"task {n}"), range(TASKS)))
        done = list(pool.map(lambda task: stack.wait_done(task["id"], timeout=120), tasks))

    assert [task["status"] for task in done] == ["completed"] * TASKS, [
        (task["status"], task["error"]) for task in done if task["status"] != "completed"
    ]
    assert len({task["worker_id"].split(":")[0] for task in done}) == 3, "all three took part"
    for task in done:
        chunks = stack.output_lines(task["id"])
        assert [chunk["seq"] for chunk in chunks] == list(range(2, 2 + LINES_PER_TASK)), task["id"]
    listed = stack.client.get("/api/tasks", params={"status": "completed", "limit": 500}).json()
    assert listed["total"] == TASKS
    for proc in [stack.api, *stack.workers]:
        assert proc is not None
        assert "database is locked" not in proc.log(), proc.name
