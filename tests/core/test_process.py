"""The stop sequence ends a process tree whose members left its session, and reaps them."""

import sys
import time
import uuid
from pathlib import Path

from tests.support.processes import wait_until
from tests.support.stack import processes_with
from worker import process

# A child that ignores SIGTERM and starts a grandchild in a session of its own, like the CLI's
# Bash tool does, then waits.
TREE = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", sys.argv[1] + "-tool"],
                 start_new_session=True)
print("ready", flush=True)
time.sleep(300)
"""


def test_stop_process_tree_ends_a_stubborn_cli_and_its_detached_tool(tmp_path: Path) -> None:
    marker = f"mark-{uuid.uuid4().hex}"
    script = tmp_path / "tree.py"
    script.write_text(TREE)
    with (tmp_path / "err").open("wb") as stderr:
        proc = process.spawn([sys.executable, str(script), marker], str(tmp_path), {}, stderr)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    wait_until(lambda: processes_with(f"{marker}-tool"), 5, what="the tool")

    started = time.monotonic()
    process.stop_process_tree(proc, grace_seconds=0.3)
    assert time.monotonic() - started < 3
    assert proc.returncode is not None
    wait_until(lambda: not processes_with(marker), 2, what="the whole tree to be gone")


def test_spawned_process_gets_its_own_session(tmp_path: Path) -> None:
    with (tmp_path / "err").open("wb") as stderr:
        proc = process.spawn(["sleep", "5"], str(tmp_path), {}, stderr)
    try:
        import os

        assert os.getsid(proc.pid) == proc.pid != os.getsid(0)
    finally:
        process.stop_process_tree(proc, 0.1)
