"""Webhooks: signed GitHub `issue_comment` deliveries from a separate load process, against the
system's `/webhooks/github` and, beside it on the same machine, a bare FastAPI endpoint that only
checks the same signature and answers 200 (`bare_app` below). Deliveries per second and the p99
answer time of each; every accepted delivery must start exactly one task. Then event → CLI
process started, p50, one delivery at a time, with the instant CLI stand-in.

`python -m bench.webhooks load URL COUNT CONCURRENCY FIRST` is the load process (prints JSON).
"""

import asyncio
import hashlib
import hmac
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

SECRET = "bench-webhook-secret"
CONCURRENCY = 16
GOAL_RATE, GOAL_P99_MS, GOAL_RATIO, GOAL_START_MS = 500, 50, 0.5, 50


def delivery(
    number: int, text: str | None = None, repository: str = "bench/webhooks"
) -> tuple[bytes, dict[str, str]]:
    """A signed issue_comment.created from an OWNER on its own issue (one thread each), saying
    `text` (default `bench <number>`)."""
    said = f"bench {number}" if text is None else text
    body = json.dumps(
        {
            "action": "created",
            "issue": {"number": number, "title": f"bench {number}", "labels": []},
            "comment": {"id": number, "body": said, "author_association": "OWNER"},
            "repository": {"full_name": repository},
            "sender": {"login": "bench", "id": 1, "type": "User"},
        }
    ).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "1",
        "X-Hub-Signature-256": signature,
    }
    return body, headers


# the bare endpoint


def _bare() -> Any:
    from fastapi import FastAPI, Request, Response

    app = FastAPI()

    @app.post("/webhooks/github")
    async def receive(request: Request) -> Response:
        body = await request.body()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        presented = request.headers.get("x-hub-signature-256", "")
        ok = hmac.compare_digest(expected.encode(), presented.encode())
        return Response(status_code=200 if ok else 401)

    return app


bare_app = _bare() if __name__ != "__main__" else None


# the load process


async def _load(url: str, count: int, concurrency: int, first: int) -> dict[str, Any]:
    import httpx

    prepared = [delivery(first + i) for i in range(count)]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        queue = iter(prepared)

        async def worker() -> None:
            for body, headers in queue:
                sent = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                if response.headers.get("content-type", "").startswith("application/json"):
                    outcome = str(response.json().get("outcome"))
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "outcomes": outcomes}


# the benchmark


def _run_load(url: str, count: int, first: int) -> dict[str, Any]:
    import subprocess

    from tests.support.processes import BIN, ROOT

    command = [str(BIN / "python"), "-m", "bench.webhooks", "load", url, str(count)]
    command += [str(CONCURRENCY), str(first)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def _start_bare(directory: Path) -> tuple[Any, str]:
    from bench.systems import _started
    from tests.support.processes import BIN, Proc
    from tests.support.redis_server import free_port

    port = free_port()
    command = [str(BIN / "python"), "-m", "uvicorn", "bench.webhooks:bare_app", "--host"]
    command += ["127.0.0.1", "--port", str(port), "--log-level", "warning"]

    def ready() -> bool:
        import httpx

        try:
            httpx.post(f"http://127.0.0.1:{port}/webhooks/github", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    proc = _started(Proc("bare", command, env, directory / "bare.log"), ready, "bare endpoint")
    return proc, f"http://127.0.0.1:{port}/webhooks/github"


COMMAND = {
    "name": "bench",
    "trigger": {"events": ["issue_comment.created"]},
    "actions": [{"type": "create_task"}],
    "prompt_template": "{{ payload.comment.body }}",  # one line: the stand-in logs it
    "on_end": "none",
}


def _task_ids(stack: Any) -> list[str]:
    ids: list[str] = []
    while True:
        params = {"source": "webhook:github", "limit": 500, "offset": len(ids)}
        page = stack.client.get("/api/tasks", params=params).json()
        ids += [task["id"] for task in page["items"]]
        if len(ids) >= page["total"] or not page["items"]:
            return ids


def run(ctx: Any) -> Any:
    import redis

    from bench.report import BenchResult, Figure
    from bench.stats import summary_ms
    from bench.systems import Systems, read_starts
    from tests.support.processes import wait_until
    from tests.webhooks.conftest import git_host

    count = 200 if ctx.quick else 3000
    sequential = 20 if ctx.quick else 100
    result = BenchResult("webhooks", f"Webhook ingress, {count} signed deliveries")
    git = ctx.tmp / "webhooks-git"
    git.mkdir()
    git_url = git_host(git, "bench/webhooks")
    with Systems(
        ctx,
        "webhooks",
        bare=False,
        native=True,  # event → CLI started: the C stand-in's own ~1 ms, not Python's ~100 ms
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_GIT_URL=git_url,
        CLI_ENV_PASSTHROUGH="BENCH_START_LOG",  # the stand-in notes when it started
    ) as systems:
        stack = systems.stack
        # No worker while the deliveries arrive: the ingress and its processing are measured,
        # not CLI runs competing for the two cores; the tasks are counted, then cancelled.
        for worker in stack.workers:
            worker.stop()
        stack.workers.clear()
        made = stack.client.put("/api/webhooks/github/commands", json=[COMMAND])
        if made.status_code == 404:  # the default endpoint is made on first use
            stack.client.post("/api/webhooks/templates/github-mention-bot").raise_for_status()
            made = stack.client.put("/api/webhooks/github/commands", json=[COMMAND])
        made.raise_for_status()
        bare_proc, bare_url = _start_bare(systems.dir)
        try:
            url = f"http://127.0.0.1:{stack.port}/webhooks/github"
            _run_load(bare_url, 200, 10_000_000)  # warm-up
            runs = {"bare": _run_load(bare_url, count, 1), "system": _run_load(url, count, 1)}
        finally:
            bare_proc.stop()
        accepted = runs["system"]["outcomes"].get("accepted", 0)

        def processed() -> bool:
            params: dict[str, str | int] = {
                "provider": "github",
                "outcome": "processed",
                "limit": 1,
            }
            page = stack.client.get("/api/webhooks/deliveries", params=params).json()
            return int(page["total"]) >= accepted

        wait_until(processed, 600, interval=1, what="every delivery to be processed")
        queued = _task_ids(stack)
        tasks = len(queued)
        for task_id in queued:
            stack.client.post(f"/api/tasks/{task_id}/stop")
        # Their messages would only be no-ops now (a cancelled task is never claimed): drop them,
        # so the next deliveries do not queue behind them.
        redis.Redis.from_url(stack.env["REDIS_URL"]).delete(stack.env["CELERY_QUEUE"])
        stack.start_worker("sys")

        # One event at a time: each waits for the previous one's CLI to have started.
        sent_at: dict[str, float] = {}
        starts: dict[str, float] = {}
        for index in range(sequential):
            body, headers = delivery(20_000_000 + index)
            prompt = f"bench {20_000_000 + index}"
            sent_at[prompt] = time.time()
            stack.client.post("/webhooks/github", content=body, headers=headers).raise_for_status()
            starts = wait_until(
                lambda p=prompt: (s := read_starts(systems.start_log)).get(p) and s,
                60,
                interval=0.01,
                what=f"the CLI of {prompt}",
            )
    to_start = summary_ms([starts[p] - t for p, t in sent_at.items()])
    rates = {kind: len(r["latencies"]) / r["elapsed"] for kind, r in runs.items()}
    answer = {kind: summary_ms(r["latencies"]) for kind, r in runs.items()}
    result.details = {
        "deliveries": count,
        "concurrency": CONCURRENCY,
        "statuses": {kind: r["statuses"] for kind, r in runs.items()},
        "outcomes": runs["system"]["outcomes"],
        "tasks_started": tasks,
        "answer_ms": answer,
        "event_to_cli_start_ms": to_start,
    }
    rate = Figure("deliveries per second", "1/s", rates["system"], rates["bare"], "bare FastAPI")
    rate.goal = f"≥ {GOAL_RATE}/s and ≥ {GOAL_RATIO}x"
    rate.met = rates["system"] >= GOAL_RATE and (rate.ratio or 0) >= GOAL_RATIO
    p99 = Figure(
        "answer time p99",
        "ms",
        answer["system"]["p99"],
        answer["bare"]["p99"],
        "bare FastAPI",
        goal=f"≤ {GOAL_P99_MS} ms",
    )
    p99.met = answer["system"]["p99"] <= GOAL_P99_MS
    once = Figure("tasks per accepted delivery", "", tasks / max(accepted, 1), goal="= 1")
    once.met = tasks == accepted
    start = Figure("event → CLI started p50", "ms", to_start["p50"], goal=f"≤ {GOAL_START_MS} ms")
    start.met = to_start["p50"] <= GOAL_START_MS
    result.figures += [rate, p99, once, start]
    return result


if __name__ == "__main__" and sys.argv[1:2] == ["load"]:
    url, count, concurrency, first = sys.argv[2], *map(int, sys.argv[3:6])
    print(json.dumps(asyncio.run(_load(url, count, concurrency, first))))
