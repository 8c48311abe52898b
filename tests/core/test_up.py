"""`just up` as a new user meets it: it starts everything, and Ctrl-C with a task running stops
in order (the worker records the run's end before Redis goes), quickly, leaving no task RUNNING.
"""

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.processes import ROOT, wait_until
from tests.support.redis_server import free_port

STOP_GRACE = 1.0


def _up(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "CCAGENT_DOTENV": str(tmp_path / ".env"),
        "DATA_DIR": str(tmp_path / "data"),
        "API_PORT": str(free_port()),
        "FLOWER_PORT": str(free_port()),
        "STUB_PORT": str(free_port()),
        "EMBEDDED_REDIS_PORT": str(free_port()),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing answers: embedded Redis
        "CELERY_QUEUE": "ccagent-up-test",
        "STOP_GRACE_SECONDS": str(STOP_GRACE),
        "CLI_MAX_RETRIES": "1",
        **extra,
    }
    log = (tmp_path / "up.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.up"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as a terminal would: Ctrl-C goes to this whole group
    )
    return proc, env


def _dotenv(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _token(tmp_path: Path) -> str:
    return _dotenv(tmp_path)["API_TOKEN"]


def test_ctrl_c_with_a_task_running_stops_in_order(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# made world-readable, as an editor might\n")
    (tmp_path / ".env").chmod(0o644)
    proc, env = _up(tmp_path)
    try:
        base = f"http://127.0.0.1:{env['API_PORT']}"

        def healthy() -> bool:
            assert proc.poll() is None, (tmp_path / "up.log").read_text()
            try:
                return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 90, interval=0.5, what="`just up` to be healthy")
        # the services run in DATA_DIR, out of the tools' reach, not in the source tree, where
        # the sandbox may let tools plant a module that would come first on sys.path
        services = [
            child
            for child in psutil.Process(proc.pid).children(recursive=True)
            if "uvicorn" in child.cmdline() or "worker.celery_app" in child.cmdline()
        ]
        assert len(services) >= 3  # the API, the worker (and its pool), Flower
        assert {child.cwd() for child in services} == {str((tmp_path / "data").resolve())}
        assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
        flower = f"http://127.0.0.1:{env['FLOWER_PORT']}/"

        def flower_answers() -> int:
            try:
                return httpx.get(flower, timeout=2).status_code
            except httpx.HTTPError:
                return 0

        assert wait_until(flower_answers, 60, interval=0.5, what="Flower") == 401
        user, password = _dotenv(tmp_path)["FLOWER_BASIC_AUTH"].split(":", 1)
        assert httpx.get(flower, auth=(user, password), timeout=5).status_code == 200
        headers = {"Authorization": f"Bearer {_token(tmp_path)}"}
        task = httpx.post(
            f"{base}/api/tasks", json={"prompt": "@stub slow 120"}, headers=headers, timeout=10
        ).json()

        def running() -> bool:
            status = httpx.get(f"{base}/api/tasks/{task['id']}", headers=headers, timeout=5)
            return bool(status.json()["status"] == "running")

        wait_until(running, 60, interval=0.2, what="the task to run")
        time.sleep(1)  # the CLI is streaming
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends
        proc.wait(timeout=60)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:  # a check above failed: up stops what it started (each in a
            os.killpg(proc.pid, signal.SIGINT)  # session of its own, which SIGKILL would leave)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    log = (tmp_path / "up.log").read_text()
    assert proc.returncode == 0, log
    with sqlite3.connect(tmp_path / "data" / "db" / "agent.db") as db:
        status, error = db.execute(
            "SELECT status, error FROM tasks WHERE id = ?", (task["id"],)
        ).fetchone()
    assert status.lower() == "failed" and "shut down" in error, (status, error, log)
    assert took < STOP_GRACE + 14, log
    for secret in (_token(tmp_path), _dotenv(tmp_path)["FLOWER_BASIC_AUTH"].split(":", 1)[1]):
        assert secret not in log  # saved in .env, never printed


def test_a_busy_port_is_named_and_up_exits_non_zero(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, _env = _up(tmp_path, API_PORT=str(port))
        assert proc.wait(timeout=30) != 0
    log = (tmp_path / "up.log").read_text()
    assert f"port {port}" in log and "API_PORT" in log
    assert not (tmp_path / "data").exists()  # it started nothing


def test_the_services_settings_name_the_same_files_from_data_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Relative paths meant the source tree, the services' old directory; they still do."""
    from app import up

    env = {
        "CLI_HOME": "data/home",
        "CLAUDE_CLI_PATH": "claude",  # a name PATH finds stays one
        "BRAIN_DIR": "/srv/brain",
        "DATABASE_URL": "sqlite:///data/db/agent.db",
    }
    monkeypatch.delenv("CCAGENT_DOTENV", raising=False)
    moved = up._run_elsewhere(env, ROOT / "data")
    assert moved["CLI_HOME"] == str(ROOT / "data" / "home")
    assert moved["CLAUDE_CLI_PATH"] == "claude" and moved["BRAIN_DIR"] == "/srv/brain"
    assert moved["DATABASE_URL"] == f"sqlite:///{ROOT / 'data' / 'db' / 'agent.db'}"
    assert moved["CCAGENT_DOTENV"] == str(ROOT / ".env") and moved["DATA_DIR"] == str(ROOT / "data")
    monkeypatch.setenv("CCAGENT_DOTENV", "")  # reads none, there as here
    assert up._run_elsewhere(env, ROOT / "data")["CCAGENT_DOTENV"] == ""


def test_one_service_alone_runs_in_data_dir_as_up_runs_it(tmp_path: Path) -> None:
    """`just api`, `just worker`, `just flower`: `python -m app.up --in-data-dir COMMAND`."""
    (tmp_path / ".env").write_text("CLI_HOME=data/home\n")
    report = (
        "import json, os, sys; print(json.dumps({'cwd': os.getcwd(), 'prefix': sys.prefix,"
        " **{k: os.environ[k] for k in ('CCAGENT_DOTENV', 'CLI_HOME', 'DATA_DIR')}}))"
    )
    command = [".venv/bin/python", "-c", report]  # relative, as the justfile names it
    env = {
        "PATH": os.environ["PATH"],
        "CCAGENT_DOTENV": str(tmp_path / ".env"),
        "DATA_DIR": str(tmp_path / "data"),
    }
    ran = subprocess.run(
        [sys.executable, "-m", "app.up", "--in-data-dir", *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(ran.stdout)
    assert seen["cwd"] == seen["DATA_DIR"] == str((tmp_path / "data").resolve())
    assert seen["CCAGENT_DOTENV"] == str((tmp_path / ".env").resolve())
    assert seen["CLI_HOME"] == str(ROOT / "data" / "home")  # relative: the source tree's, as before
    assert seen["prefix"] == str(ROOT / ".venv")  # the virtualenv's python, not its target
