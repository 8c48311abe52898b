"""The CLI's environment is an allow-list: of the worker's variables only what the CLI needs
passes (and what CLI_ENV_PASSTHROUGH names), then what the run needs."""

from pathlib import Path

import pytest

from app.config import Settings
from app.workspaces import worktrees
from worker.environment import TOKEN_FILE, build_env, cleanup, run_dir

WORKER_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HTTPS_PROXY": "http://proxy:3128",
    "REDIS_URL": "redis://:redis-password@redis:6379/0",
    "DATABASE_URL": "postgresql://agent:db-password@db/agent",
    "API_TOKEN": "admin-token",
    "GITHUB_TOKEN": "ghp_provider_token",
    "FOO_BAR": "plain",
    "HOME": "/home/worker",
}


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in WORKER_ENV.items():
        monkeypatch.setenv(key, value)


def _settings(**more: object) -> Settings:
    return Settings(**{"API_TOKEN": "admin-token", "DATA_DIR": "/data", **more})  # type: ignore[arg-type]


@pytest.mark.usefixtures("worker_env")
def test_only_what_the_cli_needs_passes() -> None:
    env = build_env(_settings(), "/data/home/w1", "task-1")
    assert {key: env[key] for key in ("PATH", "LANG", "LC_ALL", "HTTPS_PROXY")} == {
        key: WORKER_ENV[key] for key in ("PATH", "LANG", "LC_ALL", "HTTPS_PROXY")
    }
    for kept_out in ("REDIS_URL", "DATABASE_URL", "API_TOKEN", "GITHUB_TOKEN", "FOO_BAR"):
        assert kept_out not in env
    assert env["HOME"] == "/data/home/w1"  # the run's own, not the worker's
    assert env["AGENT_TASK_ID"] == "task-1"
    assert "admin-token" not in env.values()


@pytest.mark.usefixtures("worker_env")
def test_a_deployment_can_pass_a_named_variable() -> None:
    env = build_env(_settings(CLI_ENV_PASSTHROUGH=["FOO_BAR"]), "/data/home/w1", "task-1")
    assert env["FOO_BAR"] == "plain"
    assert "REDIS_URL" not in env


@pytest.mark.parametrize("wrote", [False, True], ids=["wrote-nothing", "wrote-files"])
def test_cleanup_removes_the_run_directory_and_a_plain_workspace(
    tmp_path: Path, wrote: bool
) -> None:
    """Whether the run left them as prepared (one token file, an empty workspace) or wrote
    files of its own into both, nothing of either is left."""
    settings = _settings(DATA_DIR=str(tmp_path))
    private, workspace = run_dir(settings, "task-1"), worktrees.workspace(settings, "task-1")
    private.mkdir(parents=True)
    workspace.mkdir(parents=True)
    (private / TOKEN_FILE).write_text("token")
    if wrote:
        (private / "notes").write_text("the run's own")
        (workspace / "src").mkdir()
        (workspace / "src" / "main.py").write_text("print()")
    cleanup(settings, "task-1")
    assert not private.exists()
    assert not workspace.exists()
    cleanup(settings, "task-1")  # again, on what is gone: nothing to do, nothing raised
