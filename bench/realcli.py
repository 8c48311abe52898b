"""The real CLI's share: `POST /api/tasks` → `task.completed` with the real `claude` on the model
stub, beside the same CLI run alone (no API, no Celery) with the argv and environment the worker
gives it (worker/cli.py: same flags, the prompt on stdin, private HOME, ANTHROPIC_BASE_URL to the
stub, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1), interleaved run by run, and beside a third
arm, bare Celery running the same command. The goal: what the system adds to a run (the median
of its paired differences with the CLI alone) is at most 1.5x what bare Celery adds."""

import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.bare import run_cli
from bench.dispatch import system_round_trip
from bench.report import BenchResult, Figure
from bench.stats import summary_ms
from bench.systems import Context, Systems, cli_command, start_stub
from tests.support.processes import ROOT
from tests.support.redis_server import free_port

SESSION = "bench-realcli"
REAL_CLI = ROOT / "node_modules" / ".bin" / "claude"
WARMUP = 4  # the worker's pool processes each have a HOME of their own to warm
TIMEOUT_SECONDS = 180
GOAL_RATIO = 1.5
ARMS = ("system", "bare", "cli")


def _prompt(index: int) -> str:
    return f"Benchmark run {index} {uuid.uuid4().hex[:8]}: answer with one word."


def _check(output: str, what: str) -> None:
    if '"type":"result"' not in output:
        raise RuntimeError(f"{what} printed no result line: {output[-500:]!r}")


def shell_run(systems: Systems, prompt: str, home: Path) -> float:
    command = cli_command(systems.env, prompt, str(home))
    sent = time.time()
    done = subprocess.run(
        command.argv,
        cwd=systems.env["BRAIN_DIR"],
        env=command.env,
        input=None if command.stdin is None else command.stdin.encode(),
        stdin=subprocess.DEVNULL if command.stdin is None else None,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    took = time.time() - sent
    _check(
        done.stdout.decode(errors="replace"),
        f"the CLI alone (exit {done.returncode}, stderr {done.stderr[-300:]!r})",
    )
    return took


def bare_run(systems: Systems, prompt: str, home: Path) -> float:
    command = cli_command(systems.env, prompt, str(home))
    args = [command.argv, systems.env["BRAIN_DIR"], command.stdin, command.env]
    sent = time.time()
    output = run_cli.apply_async(args=args).get(timeout=TIMEOUT_SECONDS)
    took = time.time() - sent
    _check(output, "the CLI under bare Celery")
    return took


def _measure(systems: Systems, runs: int) -> dict[str, list[float]]:
    homes = {kind: Path(systems.env["CLI_HOME"]) / kind for kind in ("bare", "cli")}
    for home in homes.values():
        home.mkdir(parents=True, exist_ok=True)
    took: dict[str, list[float]] = {kind: [] for kind in ARMS}
    with systems.stack.ws(SESSION) as ws:
        arms: dict[str, Callable[[str], float]] = {
            "system": lambda p: (
                system_round_trip(systems.stack, ws, p, SESSION, TIMEOUT_SECONDS).took
            ),
            "bare": lambda p: bare_run(systems, p, homes["bare"]),
            "cli": lambda p: shell_run(systems, p, homes["cli"]),
        }
        for index in range(-WARMUP, runs):
            shift = index % len(ARMS)  # each arm goes first, second and third in turn
            for kind in ARMS[shift:] + ARMS[:shift]:
                seconds = arms[kind](_prompt(index))
                if index >= 0:
                    took[kind].append(seconds)
    return took


def run(ctx: Context) -> BenchResult:
    runs = 3 if ctx.quick else 20
    result = BenchResult("realcli", f"The real CLI's share, {runs} runs each, interleaved")
    stub_port = free_port()
    stub = start_stub(stub_port, ctx.tmp / "realcli-stub.log")
    try:
        with Systems(
            ctx, "realcli", cli=str(REAL_CLI), model_url=f"http://127.0.0.1:{stub_port}"
        ) as systems:
            took = _measure(systems, runs)
    finally:
        stub.stop()
    stats = {kind: summary_ms(values) for kind, values in took.items()}
    result.details = {
        "runs": runs,
        "round_trip_ms": stats,
        "paired_difference_ms": {
            kind: summary_ms([a - c for a, c in zip(took[kind], took["cli"], strict=True)])
            for kind in ("system", "bare")
        },
        "overhead_percent_of_means": {
            kind: round((statistics.fmean(took[kind]) / statistics.fmean(took["cli"]) - 1) * 100, 2)
            for kind in ("system", "bare")
        },
        "samples_ms": {k: [round(v * 1000, 1) for v in values] for k, values in took.items()},
    }
    for kind, name in (("system", "POST → task.completed"), ("bare", "bare Celery round trip")):
        result.figures.append(
            Figure(
                f"{name} p50, real CLI on the stub",
                "ms",
                stats[kind]["p50"],
                stats["cli"]["p50"],
                "CLI alone",
                ratio_kind="%",
            )
        )
    added = result.details["paired_difference_ms"]
    figure = Figure(
        "added to a real CLI run (median paired difference with the CLI alone)",
        "ms",
        added["system"]["p50"],
        added["bare"]["p50"],
        "bare Celery adds",
        goal=f"≤ {GOAL_RATIO}x",
    )
    # A negative baseline (bare Celery "faster" than the CLI alone) is noise: no verdict then.
    if figure.ratio is not None and added["bare"]["p50"] > 0:
        figure.met = added["system"]["p50"] <= GOAL_RATIO * added["bare"]["p50"]
    else:
        result.details["warnings"] = [
            "bare Celery's share came out at or below zero: the machine's noise is larger than"
            " the overheads, so this run gives no verdict (run it alone on a quiet machine)"
        ]
    result.figures.append(figure)
    return result
