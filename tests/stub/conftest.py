"""The model stub on a real uvicorn server, and the real ``claude`` CLI pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stub.runner import StubServer
from tests.support.parts import absent

CLAUDE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "claude"


@dataclass
class Run:
    lines: list[dict[str, Any]]
    cwd: Path
    returncode: int
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        assert self.lines and self.lines[-1].get("type") == "result", self.stderr
        return self.lines[-1]


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def run_claude(
    stub_server: StubServer, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Run]:
    """Run ``claude -p PROMPT`` headless on the stub; extra CLI flags and env as arguments."""
    if not CLAUDE.exists():
        absent(f"the claude CLI is not installed at {CLAUDE} (npm ci)")

    def run(prompt: str, *flags: str, env: dict[str, str | None] | None = None) -> Run:
        """``env`` adds variables; a value of None removes one of the defaults below."""
        cwd = tmp_path_factory.mktemp("cwd")
        environ = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path_factory.mktemp("home")),
            "ANTHROPIC_BASE_URL": stub_server.url,
            "ANTHROPIC_API_KEY": "test-key",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",  # API errors fail at once, no backoff
        }
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        command = [str(CLAUDE), "-p", prompt, "--output-format", "stream-json", "--verbose", *flags]
        proc = subprocess.run(
            command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return Run(lines, cwd, proc.returncode, proc.stderr)

    return run
