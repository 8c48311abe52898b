"""Workspaces: from a signed `@agent fix` delivery (POST /webhooks/github, issue_comment) to the
CLI started in a ready worktree of a repository of 10,000 files whose cache is warm,
against `git worktree add` alone on that same cache (the one step no design can skip).
One delivery at a time; the stand-in CLI notes when it started. Goal: ≤ 1.2x.
"""

import subprocess
import time
from pathlib import Path
from typing import Any

from bench import webhooks
from bench.webhooks import SECRET, delivery

REPOSITORY = "bench/workspaces"
FILES = 10_000
GOAL_RATIO = 1.2
COMMAND = {**webhooks.COMMAND, "name": "bench-fix"}  # the webhooks bench's, under its own name


def _git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def git_host(root: Path, files: int) -> str:
    """file://<root>: REPOSITORY with `files` small files in 100 directories, one commit."""
    work = root / "work"
    for index in range(files):
        path = work / f"d{index % 100:02d}" / f"f{index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {index}\n" * 20)
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", f"{files} files", cwd=work)
    _git("clone", "-q", "--bare", str(work), str(root / f"{REPOSITORY}.git"), cwd=root)
    return f"file://{root}"


def start_times(log: Path) -> list[float]:
    """When each CLI started, in order: the stand-in's log holds `STARTED<TAB>ENDED<TAB>PROMPT`
    per run (bench/systems.read_runs), and a mention's prompt (framed, with its thread) spans
    lines, so only the lines that open with a time are read."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        started, tab, _ = line.partition("\t")
        try:
            found.append(float(started)) if tab else None
        except ValueError:
            continue  # a later line of a prompt
    return found


def _worktree_add_alone(settings: Any, cache: Path, path: Path) -> float:
    """Seconds of `git worktree add --detach` of the default branch on the system's own
    cache, run as the system runs git (app/workspaces/git.py); removed, untimed, after."""
    from app.workspaces import git

    commit = git.output(settings, "rev-parse", "refs/remotes/origin/HEAD", cwd=cache)
    started = time.perf_counter()
    git.run(settings, "worktree", "add", "--quiet", "--detach", str(path), commit, cwd=cache)
    took = time.perf_counter() - started
    git.run(settings, "worktree", "remove", "--force", str(path), cwd=cache)
    return took


def run(ctx: Any) -> Any:
    from bench.report import BenchResult, Figure
    from bench.stats import summary_ms
    from bench.systems import Systems, settings_for
    from tests.support.processes import wait_until

    count = 2 if ctx.quick else 20
    files = FILES  # not fewer with --quick: on a small tree the fixed costs would be the figure
    result = BenchResult("workspaces", f"`@agent fix` → CLI in a worktree of {files:,} files")
    host = ctx.tmp / "workspaces-git"
    host.mkdir()
    git_url = git_host(host, files)
    with Systems(
        ctx,
        "workspaces",
        bare=False,
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_GIT_URL=git_url,
        GITHUB_API_URL="http://127.0.0.1:9",  # nothing here calls it; never the internet
        CLI_ENV_PASSTHROUGH="BENCH_START_LOG",
    ) as systems:
        stack = systems.stack
        made = stack.client.put("/api/webhooks/github/commands", json=[COMMAND])
        if made.status_code == 404:  # the default endpoint is made on first use
            stack.client.post("/api/webhooks/templates/github-mention-bot").raise_for_status()
            made = stack.client.put("/api/webhooks/github/commands", json=[COMMAND])
        made.raise_for_status()
        for command in made.json()["commands"]:  # PUT adds: the template's own `mention`
            if command["name"] != COMMAND["name"]:  # would start a second task per delivery
                path = f"/api/webhooks/github/commands/{command['name']}"
                stack.client.delete(path).raise_for_status()

        def deliver(number: int) -> float:
            """Seconds from the POST to the CLI started, for one `@agent fix`."""
            text = f"@agent fix bench {number}"
            body, headers = delivery(number, text, REPOSITORY)
            before = len(start_times(systems.start_log))
            sent = time.time()
            stack.client.post("/webhooks/github", content=body, headers=headers).raise_for_status()
            starts = wait_until(
                lambda: (found := start_times(systems.start_log))[before:] and found,
                120, interval=0.005, what=f"the CLI of {text!r}",
            )  # fmt: skip
            return starts[before] - sent

        deliver(1)  # the first clone: the cache is warm from here on
        workspaces = Path(stack.env["DATA_DIR"]) / "workspaces"
        cache = Path(stack.env["DATA_DIR"]) / "caches" / f"{REPOSITORY}.git"
        settings = settings_for(stack.env)
        took, alone = [], []

        def settled() -> bool:  # the last task's worktree removed: no removal overlaps a timing
            return not any(workspaces.iterdir())

        for index in range(count):  # in turns: both see the same load of a shared machine
            wait_until(settled, 600, interval=0.05, what="the last worktree to be removed")
            took.append(deliver(100 + index))
            wait_until(settled, 600, interval=0.05, what="the last worktree to be removed")
            alone.append(_worktree_add_alone(settings, cache, systems.dir / f"alone-{index}"))
    system, baseline = summary_ms(took), summary_ms(alone)
    result.details = {
        "files": files,
        "deliveries": count,
        "system_ms": system,
        "alone_ms": baseline,
    }
    figure = Figure(
        "delivery → CLI in its worktree p50",
        "ms",
        system["p50"],
        baseline["p50"],
        "git worktree add alone",
        goal=f"≤ {GOAL_RATIO}x",
    )
    figure.met = (figure.ratio or float("inf")) <= GOAL_RATIO
    result.figures.append(figure)
    return result
