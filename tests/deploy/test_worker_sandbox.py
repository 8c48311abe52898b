"""A worker container started without the security options bubblewrap needs (user namespaces)
refuses to start, saying which, instead of taking tasks whose every tool would fail."""

import subprocess
from pathlib import Path

from tests.support.processes import BIN, worker_starting

# What bubblewrap says where user namespaces are refused (Docker's default seccomp profile,
# kernel.unprivileged_userns_clone=0), and how it exits.
NO_NAMESPACES = """#!/bin/sh
echo "bwrap: No permissions to creating new namespace, likely because the kernel does not \
allow non-privileged user namespaces." >&2
exit 1
"""


def _worker(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text(NO_NAMESPACES)
    (fake / "bwrap").chmod(0o755)
    return worker_starting(f"{fake}:{BIN}:/usr/bin:/bin", tmp_path / "data", **extra)


def test_a_worker_whose_bubblewrap_cannot_make_namespaces_refuses_to_start(
    tmp_path: Path,
) -> None:
    result = _worker(tmp_path)
    assert result.returncode == 1, result.stderr
    assert "worker: cannot start: bubblewrap cannot make the CLI's sandbox" in result.stderr
    assert "non-privileged user namespaces" in result.stderr  # bwrap's own words
    assert "docker-compose.yml" in result.stderr and "CLI_TOOL_SANDBOX=false" in result.stderr
