"""The throughput benchmark's load, in a process of its own, so submitting never competes with
measuring for one interpreter: `python -m bench.submitter PLAN.json`.

The plan says which side to load: `system` (POST /api/tasks, `in_flight` at once, over HTTP) or
`bare` (apply_async in a loop, each with the task id the plan gives). It prints one JSON line
when done: when the first submit left and when the last one was answered (time.time())."""

import asyncio
import json
import sys
import time
from typing import Any

import httpx


async def _system(plan: dict[str, Any]) -> tuple[float, float]:
    gate = asyncio.Semaphore(plan["in_flight"])
    client = httpx.AsyncClient(
        base_url=plan["url"],
        headers={"Authorization": f"Bearer {plan['token']}"},
        timeout=120,
        limits=httpx.Limits(max_connections=plan["in_flight"]),
    )

    async def submit(prompt: str) -> None:
        async with gate:
            body = {"prompt": prompt, "session_id": plan["session"]}
            (await client.post("/api/tasks", json=body)).raise_for_status()

    async with client:
        first = time.time()
        await asyncio.gather(*(submit(prompt) for prompt in plan["prompts"]))
        return first, time.time()


def _bare(plan: dict[str, Any]) -> tuple[float, float]:
    from bench.bare import run_cli, use_redis

    use_redis(plan["redis_url"])
    first = time.time()
    for task_id, prompt in zip(plan["ids"], plan["prompts"], strict=True):
        run_cli.apply_async(args=[plan["argv"], plan["cwd"], prompt], task_id=task_id)
    return first, time.time()


def main(path: str) -> None:
    with open(path) as file:
        plan = json.load(file)
    first, last = asyncio.run(_system(plan)) if plan["side"] == "system" else _bare(plan)
    print(json.dumps({"first_submit": first, "last_answered": last}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
