"""A worker that could not isolate its tools refuses to start, saying what to do."""

import os
from pathlib import Path

from tests.support.processes import BIN, worker_starting


def test_a_worker_without_bubblewrap_refuses_to_start(tmp_path: Path) -> None:
    assert not (BIN / "bwrap").exists()
    result = worker_starting(str(BIN), tmp_path)  # a PATH without bwrap
    assert result.returncode != 0
    assert "bubblewrap (bwrap) is not installed" in result.stderr
    assert "CLI_TOOL_SANDBOX=false" in result.stderr
    assert os.path.exists("/usr/bin/bwrap")  # the suite itself runs with it (see .ci/run)
