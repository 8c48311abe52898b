"""Container health checks (the images' HEALTHCHECK): `python healthcheck.py api|worker|flower`.

Each says only whether the container's one process does its job, never whether the parts it
depends on answer: an API whose workers are all gone still takes tasks (they wait in the
queue), so it stays healthy although its /api/health answers 503.
"""

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request


def http_answers(url: str) -> bool:
    """The server answers: any status below 500, or /api/health's 503 about another part."""
    try:
        with urllib.request.urlopen(url, timeout=4):
            return True
    except urllib.error.HTTPError as error:
        return error.code < 500 or error.code == 503
    except OSError:
        return False


# What the CLI's tool sandbox does (new user and PID namespaces, a fresh /proc): a container
# started without the security options it needs fails this at once, not at a run's first tool.
SANDBOX_PROBE = ["bwrap", "--unshare-user", "--unshare-pid", "--ro-bind", "/", "/"]
SANDBOX_PROBE += ["--proc", "/proc", "true"]


def sandbox_works() -> bool:
    try:
        return subprocess.run(SANDBOX_PROBE, capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def worker_healthy() -> bool:
    """This container's worker announces itself in Redis (every 5 s, for 15 s), and the CLI's
    tool sandbox can start here when it is on."""
    from app.config import settings
    from app.redis_client import sync_redis
    from app.system.presence import presence_key

    if settings.CLI_TOOL_SANDBOX and not sandbox_works():
        print("the CLI's tool sandbox (bubblewrap) cannot start in this container")
        return False
    node = f"{os.environ.get('WORKER_NAME', 'worker')}@{socket.gethostname()}"
    try:
        return bool(sync_redis().exists(presence_key(node)))
    except Exception:
        return False


def main(kind: str) -> bool:
    if kind == "api":
        return http_answers(f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}/api/health")
    if kind == "flower":
        return http_answers(f"http://127.0.0.1:{os.environ.get('FLOWER_PORT', '5555')}/healthcheck")
    if kind == "worker":
        return worker_healthy()
    raise SystemExit(f"usage: {sys.argv[0]} api|worker|flower")


if __name__ == "__main__":
    raise SystemExit(0 if main(sys.argv[1] if len(sys.argv) > 1 else "") else 1)
