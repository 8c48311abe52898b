"""The parts a benchmark runs: the system (API + one Celery worker, started from environment
settings like the tests do) and, beside it, a bare Celery worker on the same Redis. Every process
started here is stopped on the way out, on error and on Ctrl-C too."""

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from unittest import mock

import httpx
import redis

from app.config import Settings
from app.tasks.models import Task
from bench import native_cli
from tests.support.processes import BIN, ROOT, Proc, wait_until
from tests.support.redis_server import PrivateRedis, answers
from tests.support.stack import TOKEN, Stack
from worker.cli import build_argv
from worker.environment import build_env

BENCH_DIR = Path(__file__).resolve().parent
SYSTEM_DB = 10
BARE_DB = 11
NO_MODEL = "http://127.0.0.1:9"  # the stand-in CLI never calls a model
# The deployment's own timings (app/config.py defaults), not the tests' fast ones.
DEPLOYMENT_SETTINGS: dict[str, object] = {
    "HEARTBEAT_SECONDS": 5,
    "HEARTBEAT_TIMEOUT_SECONDS": 60,
    "SWEEP_INTERVAL_SECONDS": 10,
    "REQUEUE_AFTER_SECONDS": 30,
    "STOP_GRACE_SECONDS": 1,
    "CELERY_QUEUE": "ccagent-bench",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Context:
    """What every benchmark of one run shares."""

    tmp: Path
    redis_base: str
    quick: bool

    def redis_url(self, db: int) -> str:
        """A Redis database of the benchmarks' own (10-14), emptied first."""
        url = f"{self.redis_base}/{db}"
        redis.Redis.from_url(url).flushdb()
        return url


def redis_base(tmp: Path) -> tuple[str, PrivateRedis | None]:
    """A private redis-server shared by the system and its baseline (databases are flushed:
    never a user's Redis), or BENCH_REDIS_URL's server when set and answering."""
    url = os.environ.get("BENCH_REDIS_URL", "")
    base = url.rsplit("/", 1)[0] if url.rsplit("/", 1)[-1].isdigit() else url
    if base and answers(f"{base}/{SYSTEM_DB}"):
        return base, None
    private = PrivateRedis(tmp / "redis").start()
    return private.url.rsplit("/", 1)[0], private


def write_launcher(directory: Path) -> Path:
    """An executable that runs bench/stand_in.py on this venv's Python started with -IS (no
    site: ~10 ms to start, against ~100 ms for `python3` through a version-manager shim)."""
    path = directory / "claude-stand-in"
    path.write_text(
        f"#!{sys.executable} -IS\n"
        "import time\n"
        "started = time.time()\n"
        "import sys\n"
        f"sys.path.insert(0, {str(BENCH_DIR)!r})\n"
        "import stand_in\n"
        "stand_in.main(started)\n"
    )
    path.chmod(0o755)
    return path


@dataclass(frozen=True)
class CliRun:
    """When one stand-in run started and ended (time.time()); `ended` is None where it is not
    noted (the Python stand-in notes its start as it starts, for those who wait for it)."""

    started: float
    ended: float | None


def read_runs(log: Path) -> dict[str, CliRun]:
    """prompt → its run, from BENCH_START_LOG: lines `STARTED<TAB>ENDED-or-dash<TAB>PROMPT`."""
    if not log.exists():
        return {}
    runs: dict[str, CliRun] = {}
    for line in log.read_text().splitlines():
        started, ended, prompt = line.split("\t", 2)
        runs[prompt] = CliRun(float(started), None if ended == "-" else float(ended))
    return runs


def read_starts(log: Path) -> dict[str, float]:
    """prompt → time.time() at which the stand-in started, from BENCH_START_LOG."""
    return {prompt: run.started for prompt, run in read_runs(log).items()}


def settings_for(env: dict[str, str]) -> Settings:
    """The Settings a process started with `env` reads."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings(_env_file=None)


@dataclass
class CliCommand:
    """How the system's worker runs the CLI for one prompt: argv, environment, stdin."""

    argv: list[str]
    env: dict[str, str]
    stdin: str | None


def cli_command(env: dict[str, str], prompt: str, home: str = "unused") -> CliCommand:
    """The worker's command for `prompt` (worker/cli.py), the prompt on stdin unless it is
    among the arguments."""
    settings = settings_for(env)
    task = Task(prompt=prompt, session_id="bench")
    argv = build_argv(settings, task)
    with mock.patch.dict(os.environ, env, clear=True):
        cli_env = build_env(settings, home, task.id)
    return CliCommand(argv, cli_env, None if prompt in argv else prompt)


def _started(proc: Proc, ready: Callable[[], bool], what: str, timeout: float = 60) -> Proc:
    """Wait until `proc` is ready; kill its group if it is not (or on Ctrl-C meanwhile)."""
    try:

        def check() -> bool:
            if not proc.alive():
                raise RuntimeError(f"{what} exited:\n{proc.log()}")
            return ready()

        wait_until(check, timeout, what=what)
    except BaseException:
        proc.kill_group()
        raise
    return proc


# The API's WebSocket protocol, as every launcher of the API names it.
FANOUT_WS = "app.streams.server:FanoutWebSocketProtocol"


Launched = tuple[Proc, Callable[[], bool], str]  # a process started, how to tell it is ready


def launch_api(env: dict[str, str], port: int, log: Path, ws: str = FANOUT_WS) -> Launched:
    command = [str(BIN / "python"), "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    command += ["--ws", ws]
    command += ["--port", str(port), "--log-level", "warning"]

    def ready() -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    return Proc("api", command, env, log), ready, "the API"


def start_api(env: dict[str, str], port: int, log: Path, ws: str = FANOUT_WS) -> Proc:
    return _started(*launch_api(env, port, log, ws))


def launch_worker(env: dict[str, str], app: str, node: str, log: Path) -> Launched:
    """A Celery worker started as tests/support starts the system's (same flags)."""
    command = [str(BIN / "celery"), "-A", app, "worker", "-n", f"{node}@%h"]
    command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    proc = Proc(f"worker {node}", command, env, log)
    return proc, lambda: " ready." in proc.log(), f"worker {node}"


def start_worker(env: dict[str, str], app: str, node: str, log: Path) -> Proc:
    return _started(*launch_worker(env, app, node, log))


def start_stub(port: int, log: Path) -> Proc:
    """The model stub, as `just stub` runs it."""
    command = [str(BIN / "python"), "-m", "stub", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning"]

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/_stub/health", timeout=1).is_success
        except httpx.HTTPError:
            return False

    return _started(Proc("stub", command, dict(os.environ), log), ready, "the model stub")


class Systems:
    """The system and the bare baseline, both with the same worker settings and CLI."""

    def __init__(
        self,
        ctx: Context,
        name: str,
        *,
        bare: bool = True,
        cli: str | None = None,
        native: bool = False,
        model_url: str = NO_MODEL,
        concurrency: int = 2,
        **overrides: object,
    ) -> None:
        self.dir = ctx.tmp / name
        self.dir.mkdir(parents=True)
        self.launcher = write_launcher(self.dir)
        # `native`: the C stand-in (~1 ms), else the Python one (timed lines, ~10-30 ms).
        self.native = native_cli.build(self.dir) if native else None
        self.start_log = self.dir / "cli-starts.log"
        stand_in = self.native.path if self.native else self.launcher
        settings = {
            **DEPLOYMENT_SETTINGS,
            "CLAUDE_CLI_PATH": cli or str(stand_in),
            "MAX_CONCURRENT_TASKS": concurrency,
            "BENCH_START_LOG": str(self.start_log),
            "CLI_ENV_PASSTHROUGH": "BENCH_START_LOG",  # through the worker's allow-list
            **overrides,
        }
        self.stack = Stack(self.dir, ctx.redis_url(SYSTEM_DB), model_url, **settings)
        self.bare_url = ctx.redis_url(BARE_DB) if bare else None
        self.bare_worker: Proc | None = None

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.stack.port}/ws"

    @property
    def token(self) -> str:
        return TOKEN

    def start(self) -> "Systems":
        """Launch the API and the workers together, then wait for each (they start in turn
        otherwise: ~2 s more per benchmark). Each is held before it is waited for, so close()
        stops whatever was launched."""
        stack = self.stack
        launched = [launch_api(self.env, stack.port, self.dir / "api.log")]
        stack.api = launched[-1][0]
        launched.append(
            launch_worker(self.env, "worker.celery_app", "sys", self.dir / "worker-sys.log")
        )
        stack.workers.append(launched[-1][0])
        if self.bare_url:
            env = {**self.env, "BENCH_BARE_REDIS_URL": self.bare_url, "PYTHONPATH": str(ROOT)}
            launched.append(
                launch_worker(env, "bench.bare:bare_app", "bare", self.dir / "worker-bare.log")
            )
            self.bare_worker = launched[-1][0]
        for proc, ready, what in launched:
            _started(proc, ready, what)
        return self

    def close(self) -> None:
        """Stop every process (SIGTERM to all, then each waited for, SIGKILL past the
        timeout); a second Ctrl-C meanwhile kills them."""
        self.stack.client.close()
        procs = [p for p in (self.bare_worker, *self.stack.workers, self.stack.api) if p]
        try:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.stop()
        except BaseException:
            for proc in procs:
                proc.kill_group()
            raise

    def __enter__(self) -> "Systems":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
