"""Starting the real parts as processes: the API (uvicorn), Celery workers, the model stub."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Proc:
    """A child process in a session of its own, with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self._terminated = False
        self.log_path = log
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        """SIGTERM to its group, without waiting (stop() waits; several stop faster so)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            self._terminated = True

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> None:
        if self.alive():
            if not (sig is signal.SIGTERM and self._terminated):
                os.killpg(self.pid, sig)  # (a second SIGTERM could make a worker's shutdown cold)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()

    def kill_group(self) -> None:
        """SIGKILL this process and every process of its group (a worker and its pool)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        self._log.close()


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def start_api(env: dict[str, str], port: int, log: Path, log_level: str = "warning") -> Proc:
    command = [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "app.main:app",
        "--ws",
        "app.streams.server:FanoutWebSocketProtocol",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
    ]
    proc = Proc("api", command, env, log)

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"API exited:\n{proc.log()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    wait_until(ready, 30, what="the API to answer")
    return proc


def start_worker(env: dict[str, str], name: str, log: Path, concurrency: int | None = None) -> Proc:
    worker_env = dict(env)
    if concurrency is not None:
        worker_env["MAX_CONCURRENT_TASKS"] = str(concurrency)
    command = [
        str(BIN / "celery"),
        "-A",
        "worker.celery_app",
        "worker",
        "-n",
        f"{name}@%h",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    proc = Proc(f"worker {name}", command, worker_env, log)

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"worker exited:\n{proc.log()}")
        return " ready." in proc.log()

    wait_until(ready, 60, what=f"worker {name} to be ready")
    return proc


def start_stub(port: int, log: Path) -> Proc:
    command = [str(BIN / "python"), "-m", "stub", "--host", "127.0.0.1", "--port", str(port)]
    proc = Proc("stub", command, dict(os.environ), log)

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"stub exited:\n{proc.log()}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/_stub/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, 30, what="the model stub")
    return proc


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def worker_starting(path: str, data_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """A worker started with PATH `path` that should refuse to start: its whole run, captured.
    Redis is never reached (the start's checks come first)."""
    env = {
        "PATH": path,
        "CCAGENT_DOTENV": "",
        "API_TOKEN": "t",
        "DATA_DIR": str(data_dir),
        "REDIS_URL": "redis://127.0.0.1:1/0",
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
