"""Throughput: N tasks submitted at once, one worker at concurrency 2 and then 8, tasks per
second from the first submit to the last completion (over each side's rounds: total tasks /
total time). The load comes from a process of its own (bench/submitter.py); this process only
measures. The CLI is the C stand-in (bench/native_cli.py), so the figure is the system's.

The system: concurrent `POST /api/tasks`; a task is done when its terminal event reaches a
WebSocket following the session. The baseline: bare Celery, apply_async in a loop; a task is
done when its result is received.

Each round also counts the whole machine's CPU time per task (every process and the kernel).
The design's ceiling: the pieces it must add to bare Celery's work (bench/floor.py) cost CPU
too, so on these cores no implementation of it runs more than cores / (bare Celery's CPU per
task + theirs) tasks per second."""

import asyncio
import json
import os
import subprocess
import time
import uuid
from typing import Any

from websockets.asyncio.client import connect

from app.streams.events import TASK_COMPLETED, TERMINAL_EVENTS, peek_header
from bench import floor
from bench.bare import bare_app
from bench.cpu import CpuSampler
from bench.report import BenchResult, Figure
from bench.systems import Context, Systems, cli_command
from tests.support.processes import BIN, ROOT

SESSION = "bench-throughput"
IN_FLIGHT = 32  # POSTs in flight at once
CONCURRENCIES = (2, 8)
GOAL_RATIO = 0.9
# Each side twice, in A B B A order, so a drift in the machine's load weighs on both alike.
ORDER = ("bare", "system", "system", "bare")
FLOOR_SECONDS = 1.0  # each piece of the floor is run this long to count its CPU
CORES = os.cpu_count() or 1


def _submitter(systems: Systems, plan: dict[str, Any]) -> subprocess.Popen[str]:
    path = systems.dir / f"plan-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(plan))
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "bench.submitter", str(path)],
        cwd=ROOT,
        env={**systems.env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def _submitted(load: subprocess.Popen[str], timeout: float) -> dict[str, float]:
    out, _ = load.communicate(timeout=timeout)
    if load.returncode != 0:
        raise RuntimeError(f"the submitter failed (exit {load.returncode})")
    return dict(json.loads(out.strip().splitlines()[-1]))


def _round(count: int, first: float, last: float, done: int, submitted: float) -> dict[str, Any]:
    return {
        "first_submit": first,
        "last_done": last,
        "tasks": count,
        "completed": done,
        "not_completed": count - done,
        "submit_seconds": round(submitted - first, 3),
        "total_seconds": round(last - first, 3),
        "tasks_per_second": round(count / (last - first), 2),
    }


async def _system(systems: Systems, count: int) -> dict[str, Any]:
    counts = {"completed": 0, "other": 0}
    last = 0.0
    all_done = asyncio.Event()
    url = f"{systems.ws_base}/{SESSION}"
    auth = {"Authorization": f"Bearer {systems.token}"}
    async with connect(
        url, additional_headers=auth, max_size=None, max_queue=None, ping_interval=None
    ) as ws:

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
        plan = {
            "side": "system",
            "url": str(systems.stack.client.base_url),
            "token": systems.token,
            "session": SESSION,
            "in_flight": IN_FLIGHT,
            "prompts": [f"throughput {i}" for i in range(count)],
        }
        load = _submitter(systems, plan)
        try:
            await asyncio.wait_for(all_done.wait(), timeout=60 + count / 2)
            submitted = await asyncio.to_thread(_submitted, load, 60)
        finally:
            reader.cancel()
            if load.poll() is None:
                load.kill()
    return _round(
        count, submitted["first_submit"], last, counts["completed"], submitted["last_answered"]
    )


def _bare(systems: Systems, count: int) -> dict[str, Any]:
    command = cli_command(systems.env, "throughput")
    ids = [uuid.uuid4().hex for _ in range(count)]
    plan = {
        "side": "bare",
        "redis_url": systems.bare_url,
        "argv": command.argv,
        "cwd": systems.env["BRAIN_DIR"],
        "ids": ids,
        "prompts": [f"throughput {i}" for i in range(count)],
    }
    load = _submitter(systems, plan)
    completed = 0
    for task_id in ids:
        output = bare_app.AsyncResult(task_id).get(timeout=60 + count / 2)
        completed += '"type":"result"' in output
    last = time.time()
    submitted = _submitted(load, 60)
    return _round(count, submitted["first_submit"], last, completed, submitted["last_answered"])


def _rate(rounds: list[dict[str, Any]]) -> float:
    return round(sum(r["tasks"] for r in rounds) / sum(r["total_seconds"] for r in rounds), 2)


def _counted(measure: Any) -> dict[str, Any]:
    """A round, with the machine's CPU from its first submit to its last completion (not the
    submitter's start, which would weigh on a short round)."""
    with CpuSampler() as sampler:
        measured: dict[str, Any] = measure()
    cpu = sampler.between(measured["first_submit"], measured["last_done"])
    measured["machine_cpu_seconds"] = round(cpu, 3)
    measured["machine_cpu_ms_per_task"] = round(cpu / measured["tasks"] * 1000, 3)
    measured["machine_cpu_busy"] = round(cpu / measured["total_seconds"] / CORES, 3)
    return measured


def _measure(ctx: Context, concurrency: int, count: int) -> dict[str, Any]:
    rounds: dict[str, list[dict[str, Any]]] = {"system": [], "bare": []}
    name = f"throughput-{concurrency}"
    with Systems(ctx, name, native=True, concurrency=concurrency) as systems:
        warm = _bare(systems, 4), asyncio.run(_system(systems, 4))
        for kind in ORDER:
            if kind == "system":
                rounds[kind].append(_counted(lambda: asyncio.run(_system(systems, count))))
            else:
                rounds[kind].append(_counted(lambda: _bare(systems, count)))
        added = floor.cpu_per_task(
            str(systems.stack.client.base_url),
            systems.env["REDIS_URL"],
            systems.dir,
            FLOOR_SECONDS / 4 if ctx.quick else FLOOR_SECONDS,
        )
    return {
        "concurrency": concurrency,
        "rounds": rounds,
        "order": ORDER,
        "warmup": warm,
        "floor_cpu": added,
    }


def _cpu_ms_per_task(rounds: list[dict[str, Any]]) -> float:
    tasks = sum(r["tasks"] for r in rounds)
    return round(sum(r["machine_cpu_seconds"] for r in rounds) / tasks * 1000, 3)


def _ceiling(measured: dict[str, Any]) -> dict[str, float]:
    """The most tasks per second any implementation of this design could run on these cores:
    bare Celery's CPU per task, measured in its rounds, plus the CPU of what the design adds."""
    bare = _cpu_ms_per_task(measured["rounds"]["bare"])
    least = bare + measured["floor_cpu"]["per_task_ms"]
    return {
        "cores": CORES,
        "bare_cpu_ms_per_task": bare,
        "design_least_cpu_ms_per_task": round(least, 3),
        "tasks_per_second": round(CORES * 1000 / least, 2),
    }


def run(ctx: Context) -> BenchResult:
    count = 100 if ctx.quick else 2000
    result = BenchResult(
        "throughput", f"Throughput, {count} tasks at once, concurrency {CONCURRENCIES}"
    )
    result.details = {"tasks": count, "in_flight": IN_FLIGHT, "runs": []}
    for concurrency in CONCURRENCIES:
        measured = _measure(ctx, concurrency, count)
        result.details["runs"].append(measured)
        rounds = measured["rounds"]
        figure = Figure(
            f"tasks per second, first submit → last completion, concurrency {concurrency}",
            "tasks/s",
            _rate(rounds["system"]),
            _rate(rounds["bare"]),
            "bare Celery",
            goal=f"≥ {GOAL_RATIO}x",
        )
        figure.met = figure.ratio is not None and figure.ratio >= GOAL_RATIO
        ceiling = _ceiling(measured)
        measured["ceiling"] = ceiling
        result.figures += [
            figure,
            Figure(
                f"machine CPU per task, concurrency {concurrency}",
                "ms",
                _cpu_ms_per_task(rounds["system"]),
                ceiling["bare_cpu_ms_per_task"],
                "bare Celery",
            ),
            Figure(
                f"the design's ceiling: {ceiling['cores']} cores / (bare's CPU per task + what"
                f" the design must add), concurrency {concurrency}",
                "tasks/s",
                ceiling["tasks_per_second"],
                _rate(rounds["bare"]),
                "bare Celery",
            ),
        ]
        incomplete = [r for kind in rounds.values() for r in kind if r["not_completed"]]
        if incomplete:
            result.details.setdefault("warnings", []).append(
                f"concurrency {concurrency}: {len(incomplete)} round(s) had tasks not completed"
            )
    return result
