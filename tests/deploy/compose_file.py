"""docker-compose.yml as Docker Compose reads it: variables interpolated (`${X}`, `${X:-d}`,
`${X-d}`, `${X:?msg}`, `${X?msg}`, `$$`), YAML merge keys resolved, `x-` fragments dropped."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.processes import ROOT

COMPOSE = ROOT / "docker-compose.yml"
_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)


def just_init(directory: Path) -> str:
    """`just init` run in a copy of what it reads (a fresh checkout's); what it printed. The
    .env it wrote is `directory / ".env"`."""
    for name in ("justfile", ".env.example", "deploy/containers.just"):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, directory / name)
    just = [str(Path(sys.executable).parent / "just"), "--justfile", str(directory / "justfile")]
    made = subprocess.run([*just, "init"], cwd=directory, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    return made.stdout


class MissingVariable(ValueError):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg, current = match.group("op"), match.group("arg") or "", env.get(name)
        if op in (":?", "?") and (current is None or (op == ":?" and not current)):
            raise MissingVariable(f"{name}: {arg}")
        if (op == ":-" and not current) or (op == "-" and current is None):
            return arg
        return current or ""

    return _VARIABLE.sub(value, text)


def variables_used(text: str) -> set[str]:
    return {
        m.group("name") or m.group("bare") for m in _VARIABLE.finditer(text) if m.group(0) != "$$"
    }


def load(env: dict[str, str]) -> dict[str, Any]:
    document = yaml.safe_load(interpolate(COMPOSE.read_text(), env))
    return {key: value for key, value in document.items() if not key.startswith("x-")}


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's `environment:`, mapping or list form, as a mapping (None: passed through)."""
    entries = service.get("environment") or {}
    if isinstance(entries, dict):
        return {key: None if value is None else str(value) for key, value in entries.items()}
    return {
        item.split("=", 1)[0]: item.split("=", 1)[1] if "=" in item else None for item in entries
    }
