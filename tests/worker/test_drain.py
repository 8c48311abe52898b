"""The real CLI on the model stub, its output read slower than it writes (as a worker busy
recording each line reads it): every line arrives, the result line last. Read straight from the
pipe, the CLI dropped what it still held queued when it exited."""

import json
import os
import time
from pathlib import Path

from tests.support.parts import absent
from tests.support.processes import ROOT
from worker import process
from worker.drain import read_lines

CLAUDE = ROOT / "node_modules" / ".bin" / "claude"
LINES = 1000


def test_a_slow_reader_loses_no_line_of_the_cli(stub_url: str, tmp_path: Path) -> None:
    if not CLAUDE.exists():
        absent(f"the claude CLI is not installed at {CLAUDE} (npm ci)")
    (tmp_path / "home").mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "ANTHROPIC_BASE_URL": stub_url,
        "ANTHROPIC_API_KEY": "test-key",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    argv = [str(CLAUDE), "-p", "--output-format", "stream-json", "--verbose"]
    argv.append("--include-partial-messages")
    with (tmp_path / "stderr").open("wb") as stderr:
        proc = process.spawn(argv, str(tmp_path), env, stderr, stdin_text=f"@stub lines {LINES}")
        assert proc.stdout is not None
        lines = []
        for batch in read_lines(proc.stdout):
            lines += batch
            time.sleep(0.004 * len(batch))  # the lines' recording, on a busy machine
        assert proc.wait(timeout=60) == 0
    deltas = [line for line in lines if b'"content_block_delta"' in line]
    assert len(deltas) == LINES
    assert json.loads(lines[-1])["type"] == "result"
