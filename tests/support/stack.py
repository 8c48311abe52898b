"""A running system for a test: its own database, Redis database, API, workers and brain copy."""

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.sync.client import ClientConnection, connect

from tests.support.processes import ROOT, Proc, migrate, start_api, start_worker, wait_until
from tests.support.redis_server import free_port

TOKEN = "test-token-0123456789"
TERMINAL = {"completed", "failed", "cancelled"}


class Stack:
    def __init__(self, tmp: Path, redis_url: str, stub_url: str, **overrides: Any) -> None:
        self.tmp = tmp
        self.port = free_port()
        brain = tmp / "brain"
        if (ROOT / "agents_brain").is_dir():
            shutil.copytree(ROOT / "agents_brain", brain)
        else:
            brain.mkdir()
        self.brain = brain  # the built-in brain (BRAIN_DIR), read-only to the system
        self.custom = tmp / "data" / "brain"  # custom agents and skills (AGENTS_DIR's default)
        self.env: dict[str, str] = {
            "PATH": f"{Path(ROOT / '.venv/bin')}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "CCAGENT_DOTENV": "",  # never the developer's .env
            "API_TOKEN": TOKEN,
            "API_PORT": str(self.port),
            "DATABASE_URL": f"sqlite:///{tmp / 'agent.db'}",
            "REDIS_URL": redis_url,
            "CLAUDE_CLI_PATH": str(ROOT / "node_modules/.bin/claude"),
            "ANTHROPIC_BASE_URL": stub_url,
            "ANTHROPIC_API_KEY": "test-key",
            "CLI_HOME": str(tmp / "home"),
            "BRAIN_DIR": str(brain),
            "DATA_DIR": str(tmp / "data"),
            "HEARTBEAT_SECONDS": "0.5",
            "HEARTBEAT_TIMEOUT_SECONDS": "5",
            "SWEEP_INTERVAL_SECONDS": "1",
            "REQUEUE_AFTER_SECONDS": "3",
            "STOP_GRACE_SECONDS": "1",
            "CLI_MAX_RETRIES": "1",  # the CLI retries even a 401 ten times by default
            "MAX_CONCURRENT_TASKS": "3",
            "CELERY_QUEUE": "ccagent-test",
            "LOG_LEVEL": "INFO",
        }
        self.env.update({key: str(value) for key, value in overrides.items()})
        self.api: Proc | None = None
        self.workers: list[Proc] = []
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        migrate(self.env)

    # processes
    def start_api(self, log_level: str = "warning") -> Proc:
        self.api = start_api(self.env, self.port, self.tmp / "api.log", log_level)
        return self.api

    def start_worker(self, name: str | None = None, **overrides: Any) -> Proc:
        name = name or f"w{len(self.workers) + 1}"
        env = {**self.env, **{key: str(value) for key, value in overrides.items()}}
        proc = start_worker(env, name, self.tmp / f"worker-{name}.log")
        self.workers.append(proc)
        return proc

    def close(self) -> None:
        self.client.close()
        for worker in self.workers:
            worker.stop()
        if self.api:
            self.api.stop()

    # API
    def submit(self, prompt: str, **fields: Any) -> dict[str, Any]:
        response = self.client.post("/api/tasks", json={"prompt": prompt, **fields})
        assert response.status_code == 202, response.text
        return dict(response.json())

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/tasks/{task_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_status(self, task_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            task = self.task(task_id)
            return task if task["status"] in statuses else None

        return wait_until(reached, timeout, interval=0.1, what=f"task {task_id} to be {statuses}")

    def wait_done(self, task_id: str, timeout: float = 60) -> dict[str, Any]:
        return self.wait_status(task_id, TERMINAL, timeout)

    def wait_for_process(self, task_id: str, marker: str, timeout: float = 60) -> None:
        """Wait for a process of the task's run whose command line holds the marker (a tool it
        was scripted to start). If the task ends first, or time runs out, the failure says how
        the task stands, what it printed last and what the workers logged last."""

        def started() -> bool:
            if processes_with(marker):
                return True
            task = self.task(task_id)
            if task["status"] in TERMINAL:
                raise AssertionError(f"the task ended before its tool ran: {self._explain(task)}")
            return False

        try:
            wait_until(started, timeout, interval=0.1, what=f"a process holding {marker}")
        except TimeoutError as error:
            raise AssertionError(f"{error}: {self._explain(self.task(task_id))}") from None

    def _explain(self, task: dict[str, Any]) -> str:
        lines = [chunk["line"][:300] for chunk in self.output_lines(task["id"])[-5:]]
        logs = "".join(worker.log()[-3000:] for worker in self.workers)
        return (
            f"status {task['status']}, error {task.get('error')!r}, last output {lines!r}, "
            f"worker log tail:\n{logs}"
        )

    def output_lines(self, task_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/tasks/{task_id}/output")
        assert response.status_code == 200, response.text
        return list(response.json()["chunks"])

    def ws(self, session_id: str) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.port}/ws/{session_id}",
            additional_headers={"Authorization": f"Bearer {TOKEN}"},
            max_size=None,
            max_queue=None,
        )


def read_events(
    ws: ClientConnection, until_task_ends: str, timeout: float = 60
) -> list[dict[str, Any]]:
    """Every event the socket sends until the given task's terminal event."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        received.append(event)
        if event.get("task_id") == until_task_ends and event["type"] in {
            "task.completed",
            "task.failed",
            "task.cancelled",
        }:
            return received


def processes_with(marker: str) -> list[psutil.Process]:
    """Live processes whose command line or environment holds the marker (zombies excluded).
    A task's id finds its CLI and every tool process: the worker sets AGENT_TASK_ID."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status", "environ"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            environ = proc.info["environ"] or {}
            if marker in " ".join(proc.info["cmdline"] or []) or marker in environ.values():
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those of procs still running (zombies excluded). psutil checks each one's start time
    too, so a pid reused by a newer process does not count as theirs."""
    found = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.NoSuchProcess:
            continue
    return found


def cmdline(proc: psutil.Process) -> list[str]:
    """A process's command line, or [] once it has ended."""
    try:
        return list(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


def cli_runs(procs: list[psutil.Process]) -> list[psutil.Process]:
    """The CLI processes among procs (a run's command line holds `-p`), one per run: a child
    the CLI has just forked shows the CLI's command line until it execs what it starts (socat,
    git, npm), so a CLI whose parent is also among them is that same run, not another."""
    clis = [p for p in procs if "-p" in cmdline(p)]
    pids = {p.pid for p in clis}
    return [p for p in clis if _parent(p) not in pids]


def _parent(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except psutil.NoSuchProcess:
        return None
