"""deploy/healthcheck.py, the images' HEALTHCHECK, against a running system: healthy when its
process does its job, unhealthy otherwise, whatever the other parts say."""

import subprocess
import sys

from tests.support.processes import ROOT
from tests.support.redis_server import free_port
from tests.support.stack import Stack

SCRIPT = str(ROOT / "deploy" / "healthcheck.py")


def _check(stack: Stack, kind: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, kind],
        env={**stack.env, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_api_is_healthy_while_it_answers(stack: Stack) -> None:
    assert _check(stack, "api").returncode == 0
    assert _check(stack, "api", API_PORT=str(free_port())).returncode == 1


def test_a_worker_is_healthy_while_it_beats_and_its_sandbox_starts(stack: Stack) -> None:
    assert _check(stack, "worker", WORKER_NAME="w1").returncode == 0, _check(stack, "worker").stdout
    assert _check(stack, "worker", WORKER_NAME="not-started").returncode == 1
    no_bwrap = _check(stack, "worker", WORKER_NAME="w1", PATH="/nonexistent")
    assert no_bwrap.returncode == 1 and "sandbox" in no_bwrap.stdout
    # with the sandbox off, bubblewrap is not asked for
    assert (
        _check(
            stack, "worker", WORKER_NAME="w1", PATH="/nonexistent", CLI_TOOL_SANDBOX="false"
        ).returncode
        == 0
    )


def test_a_worker_stays_alive_while_redis_is_unreachable(stack: Stack) -> None:
    """The liveness probe (Kubernetes restarts on it) must not end every run in an outage."""
    down = f"redis://127.0.0.1:{free_port()}/0"
    outage = _check(stack, "worker", WORKER_NAME="w1", REDIS_URL=down)
    assert outage.returncode == 0 and "unreachable" in outage.stdout, outage.stdout
    # a Redis that answers without this worker's presence still means a dead worker
    assert _check(stack, "worker", WORKER_NAME="not-started").returncode == 1
