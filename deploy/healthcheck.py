"""Container health checks (the images' HEALTHCHECK): `python healthcheck.py api|worker|flower`.

Each says only whether the container's one process does its job, never whether the parts it
depends on answer: an API whose workers are all gone still takes tasks (they wait in the
queue), so it stays healthy although its /api/health answers 503.
"""

import os
import socket
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


def worker_healthy() -> bool:
    """This container's worker announces itself in Redis (every 5 s, for 15 s), or Redis is
    unreachable; and the CLI's tool sandbox can start here when it is on."""
    import redis

    from app.config import settings
    from app.redis_client import sync_redis
    from app.system.presence import presence_key
    from worker.environment import sandbox_failure

    failure = settings.CLI_TOOL_SANDBOX and sandbox_failure()
    if failure:
        print(f"the CLI's tool sandbox (bubblewrap) cannot start in this container: {failure}")
        return False
    node = f"{os.environ.get('WORKER_NAME', 'worker')}@{socket.gethostname()}"
    try:
        return bool(sync_redis().exists(presence_key(node)))
    except redis.AuthenticationError:
        return False  # a wrong REDIS_URL, not an outage
    except (redis.ConnectionError, redis.TimeoutError) as error:
        # A Redis outage: the runs in progress go on and the worker reconnects (celery_app:
        # worker_cancel_long_running_tasks_on_connection_loss=False). A liveness probe failing
        # now would restart every worker and end those runs, so the worker counts as alive.
        print(f"Redis is unreachable ({error}): alive, its runs go on without it")
        return True
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
