"""A worker that could not isolate its tools refuses to start, saying what to do."""

import os
import subprocess
from pathlib import Path

from tests.support.processes import BIN, ROOT


def _worker(path: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": path,
        "CCAGENT_DOTENV": "",
        "API_TOKEN": "t",
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:1/0",  # never reached: the check comes first
        **extra,
    }
    return subprocess.run(
        [str(BIN / "celery"), "-A", "worker.celery_app", "worker", "--pool", "solo"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_worker_without_bubblewrap_refuses_to_start(tmp_path: Path) -> None:
    assert not (BIN / "bwrap").exists()
    result = _worker(str(BIN), tmp_path)  # a PATH without bwrap
    assert result.returncode != 0
    assert "bubblewrap (bwrap) is not installed" in result.stderr
    assert "CLI_TOOL_SANDBOX=false" in result.stderr
    assert os.path.exists("/usr/bin/bwrap")  # the suite itself runs with it (see .ci/run)
