"""Memory: resident set (psutil RSS; USS, the pages a process alone holds, in the details) of the
API and of the worker (main and pool processes) idle after a few tasks, beside the bare Celery
worker, and of the API holding 1,000 WebSocket clients (the clients in a process of their own).

The pool process's floor: in this design a pool process writes the database itself (claim,
lines, end) through the models the design names (SQLModel: SQLAlchemy's core and ORM, and
pydantic), so it holds those whatever else it leaves out. What they cost is measured in the
same run, in fresh interpreters of this venv (what the bare pool imports, then that and
SQLModel with the SQLite dialect; SQLAlchemy alone too, for what pydantic adds), and added to
the bare pool process."""

import subprocess
import sys
import time
from typing import Any

import psutil

from bench.bare import run_cli
from bench.report import BenchResult, Figure
from bench.systems import Context, Systems, cli_command
from bench.ws_clients import Clients
from tests.support.processes import Proc

MIB = 1024 * 1024
WARM_TASKS = 4
SETTLE_SECONDS = 2
GOAL_KIB_PER_VIEWER = 40  # issue 17
GOAL_POOL_RATIO = 1.2
# What a bare Celery pool process imports, and what a pool process that writes the database
# through the design's models cannot do without on top of it.
BARE_MODULES = ("celery", "billiard", "kombu.transport.redis")
SQLALCHEMY_MODULES = ("sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite", "sqlite3")
DATABASE_MODULES = ("sqlmodel", *SQLALCHEMY_MODULES)
IMPORT_RUNS = 2
MEASURE_RSS = "import gc, psutil\ngc.collect()\nprint(psutil.Process().memory_info().rss)"


def imported_rss_mib(modules: tuple[str, ...]) -> float:
    """RSS of a fresh interpreter of this venv once `modules` are imported (the least of a few
    runs)."""
    code = f"import {', '.join(modules)}\n" + MEASURE_RSS
    runs = [
        int(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
        for _ in range(IMPORT_RUNS)
    ]
    return round(min(runs) / MIB, 2)


def database_floor_mib() -> dict[str, float]:
    bare = imported_rss_mib(BARE_MODULES)
    with_sqlalchemy = imported_rss_mib(BARE_MODULES + SQLALCHEMY_MODULES)
    with_database = imported_rss_mib(BARE_MODULES + DATABASE_MODULES)
    return {
        "bare_imports": bare,
        "with_sqlalchemy": with_sqlalchemy,
        "with_sqlmodel": with_database,
        "added": round(with_database - bare, 2),
    }


def _mib(proc: psutil.Process) -> dict[str, float]:
    info = proc.memory_full_info()
    return {"rss": round(info.rss / MIB, 2), "uss": round(info.uss / MIB, 2)}


def worker_memory(proc: Proc) -> dict[str, Any]:
    main = psutil.Process(proc.pid)
    pool = [_mib(child) for child in main.children()]
    return {
        "main": _mib(main),
        "pool": pool,
        "pool_rss_each": round(sum(p["rss"] for p in pool) / max(1, len(pool)), 2),
        "total_rss": round(_mib(main)["rss"] + sum(p["rss"] for p in pool), 2),
    }


def _warm(systems: Systems) -> None:
    for index in range(WARM_TASKS):
        task = systems.stack.submit(f"memory warm-up {index}", session_id="bench-memory")
        systems.stack.wait_done(task["id"])
        command = cli_command(systems.env, f"memory warm-up {index}")
        args = [command.argv, systems.env["BRAIN_DIR"], command.stdin]
        run_cli.apply_async(args=args).get(timeout=60)


def run(ctx: Context) -> BenchResult:
    count = 100 if ctx.quick else 1000
    result = BenchResult("memory", f"Resident memory, idle and with {count} WebSocket clients")
    with Systems(ctx, "memory") as systems:
        assert systems.stack.api is not None and systems.bare_worker is not None
        _warm(systems)
        time.sleep(SETTLE_SECONDS)
        api = psutil.Process(systems.stack.api.pid)
        idle = {
            "api": _mib(api),
            "worker": worker_memory(systems.stack.workers[0]),
            "bare_worker": worker_memory(systems.bare_worker),
        }
        url = f"{systems.ws_base}/bench-memory-clients"
        with Clients(url, count, 120, systems.dir / "clients.log", systems.token) as clients:
            connect_seconds = clients.wait_ready()
            time.sleep(SETTLE_SECONDS)
            holding = _mib(api)
            clients.result(stop=True)
    per_client_kib = (holding["rss"] - idle["api"]["rss"]) * 1024 / count
    floor = database_floor_mib()
    result.details = {
        "pool_floor_mib": floor,
        "idle_mib": idle,
        "api_with_clients_mib": holding,
        "clients": count,
        "clients_connect_seconds": connect_seconds,
        "api_rss_per_client_kib": round(per_client_kib, 1),
    }
    worker, bare = idle["worker"], idle["bare_worker"]
    per_viewer = Figure(
        "API per idle WebSocket viewer, RSS", "KiB", round(per_client_kib, 1), goal="≤ 40 KiB"
    )
    per_viewer.met = per_client_kib <= GOAL_KIB_PER_VIEWER
    pool = Figure(
        "worker pool process idle, RSS each",
        "MiB",
        worker["pool_rss_each"],
        bare["pool_rss_each"],
        "bare Celery",
        goal=f"≤ {GOAL_POOL_RATIO:g}x",
    )
    pool.met = pool.ratio is not None and pool.ratio <= GOAL_POOL_RATIO
    pool_floor = Figure(
        "the floor: a bare pool process + SQLModel (imported alone), RSS",
        "MiB",
        round(bare["pool_rss_each"] + floor["added"], 2),
        bare["pool_rss_each"],
        "bare Celery",
    )
    result.figures += [
        Figure("API idle, RSS", "MiB", idle["api"]["rss"]),
        Figure(
            f"API holding {count} WebSocket clients, RSS",
            "MiB",
            holding["rss"],
            idle["api"]["rss"],
            "API idle",
        ),
        Figure(
            "worker main process idle, RSS",
            "MiB",
            worker["main"]["rss"],
            bare["main"]["rss"],
            "bare Celery",
        ),
        per_viewer,
        pool,
        pool_floor,
        Figure(
            "worker main + pool idle, RSS",
            "MiB",
            worker["total_rss"],
            bare["total_rss"],
            "bare Celery",
        ),
    ]
    return result
