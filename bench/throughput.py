"""Throughput: N tasks submitted at once, one worker at concurrency 2, tasks per second from the
first submit to the last completion (over each side's rounds: total tasks / total time).
The system: concurrent `POST /api/tasks`, completion is the terminal event received on a
WebSocket. The baseline: bare Celery, apply_async then results."""

import asyncio
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect

from app.streams.events import TASK_COMPLETED, TERMINAL_EVENTS, peek_header
from bench.bare import run_cli
from bench.report import BenchResult, Figure
from bench.systems import Context, Systems, cli_command

SESSION = "bench-throughput"
SUBMITTERS = 32  # POSTs in flight at once
GOAL_RATIO = 0.7
# Each side twice, in A B B A order, so a drift in the machine's load weighs on both alike.
ORDER = ("bare", "system", "system", "bare")


async def _system(systems: Systems, count: int) -> dict[str, Any]:
    counts = {"completed": 0, "other": 0}
    last = 0.0
    all_done = asyncio.Event()
    url = f"{systems.ws_base}/{SESSION}?token={systems.token}"
    async with connect(url, max_size=None, max_queue=None, ping_interval=None) as ws:

        async def read() -> None:
            nonlocal last
            async for raw in ws:
                header = peek_header(raw if isinstance(raw, str) else raw.decode())
                if header and header[0] in TERMINAL_EVENTS:
                    counts["completed" if header[0] == TASK_COMPLETED else "other"] += 1
                    last = time.time()
                    if counts["completed"] + counts["other"] >= count:
                        all_done.set()
                        return

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.5)  # let the API subscribe this socket to the session
        gate = asyncio.Semaphore(SUBMITTERS)
        client = httpx.AsyncClient(
            base_url=str(systems.stack.client.base_url),
            headers={"Authorization": f"Bearer {systems.token}"},
            timeout=120,
            limits=httpx.Limits(max_connections=SUBMITTERS),
        )

        async def submit(index: int) -> None:
            async with gate:
                body = {"prompt": f"throughput {index}", "session_id": SESSION}
                (await client.post("/api/tasks", json=body)).raise_for_status()

        async with client:
            first = time.time()
            await asyncio.gather(*(submit(i) for i in range(count)))
            submitted = time.time()
        try:
            await asyncio.wait_for(all_done.wait(), timeout=60 + count / 2)
        finally:
            reader.cancel()
    return {
        "tasks": count,
        "completed": counts["completed"],
        "not_completed": counts["other"],
        "submit_seconds": round(submitted - first, 3),
        "total_seconds": round(last - first, 3),
        "tasks_per_second": round(count / (last - first), 2),
    }


def _bare(systems: Systems, count: int) -> dict[str, Any]:
    cwd = systems.env["BRAIN_DIR"]
    commands = [cli_command(systems.env, f"throughput {i}") for i in range(count)]
    first = time.time()
    pending = [run_cli.apply_async(args=[c.argv, cwd, c.stdin]) for c in commands]
    submitted = time.time()
    outputs = [result.get(timeout=60 + count / 2) for result in pending]
    last = time.time()
    completed = sum('"type":"result"' in output for output in outputs)
    return {
        "tasks": count,
        "completed": completed,
        "not_completed": count - completed,
        "submit_seconds": round(submitted - first, 3),
        "total_seconds": round(last - first, 3),
        "tasks_per_second": round(count / (last - first), 2),
    }


def _rate(rounds: list[dict[str, Any]]) -> float:
    return round(sum(r["tasks"] for r in rounds) / sum(r["total_seconds"] for r in rounds), 2)


def run(ctx: Context) -> BenchResult:
    count = 200 if ctx.quick else 2000
    result = BenchResult("throughput", f"Throughput, {count} tasks at once, concurrency 2")
    rounds: dict[str, list[dict[str, Any]]] = {"system": [], "bare": []}
    with Systems(ctx, "throughput", concurrency=2) as systems:
        warm = _bare(systems, 4), asyncio.run(_system(systems, 4))
        for kind in ORDER:
            if kind == "system":
                rounds[kind].append(asyncio.run(_system(systems, count)))
            else:
                rounds[kind].append(_bare(systems, count))
    result.details = {"rounds": rounds, "order": ORDER, "warmup": warm}
    figure = Figure(
        "tasks per second, first submit → last completion",
        "tasks/s",
        _rate(rounds["system"]),
        _rate(rounds["bare"]),
        "bare Celery",
        goal=f"≥ {GOAL_RATIO}x",
    )
    figure.met = figure.ratio is not None and figure.ratio >= GOAL_RATIO
    result.figures.append(figure)
    incomplete = [r for kind in rounds.values() for r in kind if r["not_completed"]]
    if incomplete:
        result.details["warnings"] = [f"{len(incomplete)} round(s) had tasks not completed"]
    return result
