"""The undiluted CLI stand-in (bench/instant_cli.c), built into a benchmark's directory, and what
it costs on its own.

A benchmark that isolates the system's cost needs a stand-in that costs next to nothing: the
Python stand-in takes ~10 ms to start (~30 ms with its launcher's work), which both sides pay,
so the system's own milliseconds vanish in the ratio. The C stand-in is compiled with the
machine's `cc` (statically where libc allows: no dynamic loader to run); without a compiler a
/bin/sh script with printf stands in, which notes no start times.
"""

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import summary_ms

SOURCE = Path(__file__).with_name("instant_cli.c")
SHELL_SOURCE = Path(__file__).with_name("instant_cli.sh")
COST_RUNS = 200


@dataclass(frozen=True)
class NativeStandIn:
    path: Path
    kind: str  # "c (static)", "c (dynamic)" or "sh"

    @property
    def notes_starts(self) -> bool:
        return self.kind != "sh"


def build(directory: Path) -> NativeStandIn:
    """Compile the C stand-in into `directory` (or write the shell one where no cc is)."""
    path = directory / "claude-native"
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler:
        base = [compiler, "-O2", "-o", str(path), str(SOURCE)]
        for flags, kind in ((["-static"], "c (static)"), ([], "c (dynamic)")):
            done = subprocess.run([*base, *flags], capture_output=True, check=False)
            if done.returncode == 0:
                return NativeStandIn(path, kind)
    shutil.copyfile(SHELL_SOURCE, path)
    path.chmod(0o755)
    return NativeStandIn(path, "sh")


def cost(
    argv: list[str], prompt: str = "bench cost", runs: int = COST_RUNS
) -> dict[str, dict[str, Any]]:
    """What running `argv` alone costs, as a run of it does (subprocess, prompt on stdin,
    output read to its end): p50/p99 in ms, beside the same for /bin/true, the spawn's floor."""
    took: dict[str, list[float]] = {"stand_in": [], "true": []}
    for _ in range(runs):
        for kind, command in (("stand_in", argv), ("true", ["/bin/true"])):
            started = time.perf_counter()
            subprocess.run(command, input=prompt.encode(), capture_output=True, check=False)
            took[kind].append(time.perf_counter() - started)
    return {kind: summary_ms(values) for kind, values in took.items()}
