"""Figures, the table printed on stdout (Markdown, pasted into bench/README.md), and the JSON
written to bench/results/."""

import json
import math
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    """One measured value beside its baseline. `ratio` is system / baseline, or for "%" the
    system's overhead over the baseline in percent; `met` is None when no goal applies."""

    name: str
    unit: str
    system: float
    baseline: float | None = None
    baseline_name: str = ""
    ratio_kind: str = "x"
    goal: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or math.isnan(self.baseline):
            return None
        if self.ratio_kind == "x" and (self.baseline < 0 or self.system < 0):
            return None  # a ratio of differences that came out negative (noise) means nothing
        if self.ratio_kind == "%":
            return (self.system - self.baseline) / self.baseline * 100
        return self.system / self.baseline


@dataclass
class BenchResult:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _number(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    if ratio is None:
        return ""
    if figure.ratio_kind == "%":
        return f"{ratio:+.1f} %"
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.2f}x"


def _verdict(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "**met**" if figure.met else "**not met**"


def table(results: list[BenchResult]) -> str:
    """One Markdown table of every figure, columns aligned for a terminal."""
    header = ["benchmark", "figure", "system", "baseline", "ratio", "goal", "verdict"]
    rows = [header]
    for result in results:
        for figure in result.figures:
            baseline = ""
            if figure.baseline is not None:
                baseline = f"{_number(figure.baseline, figure.unit)} ({figure.baseline_name})"
            rows.append(
                [
                    result.name,
                    f"{figure.name} ({figure.unit})",
                    _number(figure.system, figure.unit),
                    baseline,
                    _ratio(figure),
                    figure.goal,
                    _verdict(figure),
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _command(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "claude": _command([str(ROOT / "node_modules/.bin/claude"), "--version"]),
        "git_commit": _command(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": bool(_command(["git", "status", "--porcelain", "app", "worker"])),
    }


def save(results: list[BenchResult], meta: dict[str, Any]) -> Path:
    """bench/results/<time>[-quick].json, and the same as latest.json."""
    RESULTS_DIR.mkdir(exist_ok=True)
    document = {
        **meta,
        "results": [
            {
                **asdict(result),
                "figures": [{**asdict(f), "ratio": f.ratio} for f in result.figures],
            }
            for result in results
        ],
        "table": table(results),
    }
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(meta["started_at"]))
    path = RESULTS_DIR / f"{stamp}{'-quick' if meta.get('quick') else ''}.json"
    text = json.dumps(document, indent=2, default=str) + "\n"
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    return path
