"""`python -m bench [--quick] [--only NAME ...]` (`just bench`): every benchmark, each figure
measured in the same run as its baseline; a table on stdout, JSON in bench/results/.

Benchmarks never assert timings: each goal is reported as met or not met, honestly.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType

# The app's settings are read at import; this process only needs them to be valid.
os.environ.setdefault("API_TOKEN", "bench-token")

from bench import (
    dispatch,
    history,
    memory,
    realcli,
    report,
    stream,
    throughput,
    webhooks,
    workspaces,
)
from bench.bare import use_redis
from bench.systems import BARE_DB, Context, redis_base

BENCHMARKS: dict[str, Callable[[Context], report.BenchResult]] = {
    "dispatch": dispatch.run,
    "throughput": throughput.run,
    "stream": stream.run,
    "realcli": realcli.run,
    "memory": memory.run,
    "webhooks": webhooks.run,
    "history": history.run,
    "workspaces": workspaces.run,
}


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small counts (under 3 minutes on 2 quiet cores)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs' temp directory")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with it ignored
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    names = args.only or list(BENCHMARKS)
    tmp = Path(tempfile.mkdtemp(prefix="ccagent-bench-"))
    base, private_redis = redis_base(tmp)
    use_redis(f"{base}/{BARE_DB}")
    ctx = Context(tmp=tmp, redis_base=base, quick=args.quick)
    meta = {
        "started_at": time.time(),
        "quick": args.quick,
        "benchmarks": names,
        "machine": report.machine(),
        "redis": "private redis-server" if private_redis else base,
    }
    results: list[report.BenchResult] = []
    errors: dict[str, str] = {}
    try:
        for name in names:
            print(f"== {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                outcome = BENCHMARKS[name](ctx)
            except Exception as error:
                traceback.print_exc()
                errors[name] = f"{type(error).__name__}: {error}"
                continue
            outcome.seconds = round(time.monotonic() - started, 1)
            results.append(outcome)
            print(f"   {name} done in {outcome.seconds} s", file=sys.stderr, flush=True)
    finally:
        if private_redis:
            private_redis.stop()
        meta["seconds"] = round(time.time() - meta["started_at"], 1)
        meta["errors"] = errors
        if results:
            path = report.save(results, meta)
            print(report.table(results))
            for result in results:
                for warning in result.details.get("warnings", []):
                    print(f"warning: {result.name}: {warning}")
            print(f"\nJSON: {path}")
        for name, message in errors.items():
            print(f"error: {name}: {message}")
        if errors or args.keep:
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted: every process started was stopped", file=sys.stderr)
        sys.exit(130)
