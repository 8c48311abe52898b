"""What one run is given: a working directory of its own, an allow-listed environment, and its
task token in a file.

The CLI runs its tools under bubblewrap (`CLAUDE_CODE_SUBPROCESS_ENV_SCRUB=1`): each Bash tool
gets a PID namespace of its own (it cannot read the CLI's /proc/<pid>/environ) and an environment
without the variables whose names look secret, the model credential among them. The task token
would be stripped too, so it travels in a file, `$AGENT_RUN_DIR/api-token`, named by a plain
variable. Checked on 2.1.332: `AGENT_RUN_DIR` survives the scrub, `AGENT_TOKEN_FILE` does not.

`prepare()` is called when a run starts and `cleanup()` when it ends, whatever the outcome.
"""

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from app.config import Settings
from app.db import session_scope
from app.tasks import service
from app.tasks.models import Task
from app.tokens import issue_task_token
from app.workspaces import worktrees
from worker import brain

TOKEN_FILE = "api-token"
BWRAP = "bwrap"

# What the CLI needs from the worker's environment, by name; nothing else passes.
PASSED_THROUGH = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "TMPDIR",
        # the proxy and certificate settings a deployment may need to reach the model
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NODE_EXTRA_CA_CERTS",
    }
)
PASSED_THROUGH_PREFIXES = ("LC_",)


class SandboxMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class RunSetup:
    cwd: str
    env: dict[str, str]


def run_dir(settings: Settings, task_id: str) -> Path:
    """Private to the run (0700): holds its token, outside its working directory."""
    return settings.data_dir / "runs" / task_id


def workspace(settings: Settings, task_id: str) -> Path:
    return worktrees.workspace(settings, task_id)


def prepare(settings: Settings, task: Task, home: str) -> RunSetup:
    """The run's workspace (a worktree for a repository task: fetched and checked out first,
    so a refused or failed checkout leaves no token behind), then its private token file."""
    if task.repository:
        with _beating(settings, task.id):  # a first clone can outlast HEARTBEAT_TIMEOUT_SECONDS
            cwd = worktrees.create(settings, task)
    else:
        cwd = workspace(settings, task.id)
        cwd.mkdir(parents=True, exist_ok=True)
    private = run_dir(settings, task.id)
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = private / TOKEN_FILE
    descriptor = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(issue_task_token(task.id))
    brain.ensure_custom_dir(settings)
    return RunSetup(cwd=str(cwd), env=build_env(settings, home, task.id, private))


@contextmanager
def _beating(settings: Settings, task_id: str) -> Iterator[None]:
    """Beat for the task while the block runs (the run's watchdog starts only with the CLI),
    so the sweeper does not take a long checkout for a lost run."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(settings.HEARTBEAT_SECONDS):
            try:
                with session_scope() as db:
                    service.beat(db, task_id)
            except Exception as error:  # a missed beat is the sweeper's to judge
                logger.warning("task {}: no heartbeat during its checkout: {}", task_id, error)

    beater = threading.Thread(target=beat, name=f"checkout-beat-{task_id}", daemon=True)
    beater.start()
    try:
        yield
    finally:
        done.set()
        beater.join()


def cleanup(settings: Settings, task_id: str) -> None:
    """Remove what prepare() made: the token file first (the token also dies with the task).
    A worktree stays for `app.workspaces.service.conclude`, which may publish what the run
    changed, and removes it (or keeps it a while when the task failed); the sweep removes
    whatever a killed worker left."""
    private = run_dir(settings, task_id)
    try:  # what it holds mostly: one file (rmtree's walk cost ~0.3 ms more on every run)
        (private / TOKEN_FILE).unlink(missing_ok=True)
        private.rmdir()
    except OSError:
        shutil.rmtree(private, ignore_errors=True)
    path = workspace(settings, task_id)
    if worktrees.cache_of(settings, path) is None:
        _remove_tree(path)


def _remove_tree(path: Path) -> None:
    try:
        path.rmdir()  # a run that wrote nothing left it empty
    except FileNotFoundError:
        pass
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def build_env(
    settings: Settings, home: str, task_id: str, private_dir: Path | None = None
) -> dict[str, str]:
    """The CLI's whole environment: an allow-list of the worker's, then what the run needs."""
    passed = PASSED_THROUGH | set(settings.CLI_ENV_PASSTHROUGH)
    env = {
        key: value
        for key, value in os.environ.items()
        if key in passed or key.startswith(PASSED_THROUGH_PREFIXES)
    }
    env.update(
        HOME=home,
        AGENT_TASK_ID=task_id,  # the run knows its task; its processes are findable by it
        AGENT_API_URL=settings.AGENT_API_URL or f"http://{settings.API_HOST}:{settings.API_PORT}",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        # the brain's CLAUDE.md arrives through --add-dir, which needs this to be read
        CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD="1",
    )
    if private_dir is not None:
        env["AGENT_RUN_DIR"] = str(private_dir)
    if settings.CLI_TOOL_SANDBOX:
        env["CLAUDE_CODE_SUBPROCESS_ENV_SCRUB"] = "1"
    if settings.CLI_MAX_RETRIES is not None:
        env["CLAUDE_CODE_MAX_RETRIES"] = str(settings.CLI_MAX_RETRIES)
    if settings.ANTHROPIC_BASE_URL:
        env["ANTHROPIC_BASE_URL"] = settings.ANTHROPIC_BASE_URL
    if settings.ANTHROPIC_API_KEY:
        env["ANTHROPIC_API_KEY"] = settings.ANTHROPIC_API_KEY.get_secret_value()
    if settings.CLAUDE_CODE_OAUTH_TOKEN:
        env["CLAUDE_CODE_OAUTH_TOKEN"] = settings.CLAUDE_CODE_OAUTH_TOKEN.get_secret_value()
    return env


def check_sandbox(settings: Settings) -> None:
    """A worker that would run tools unisolated, or whose every tool would fail, refuses to
    start, saying what to do."""
    if not settings.CLI_TOOL_SANDBOX:
        return
    if shutil.which(BWRAP) is None:
        raise SandboxMissing(
            "bubblewrap (bwrap) is not installed: the CLI needs it to keep the model key and the"
            " task token out of its tools' reach. Install it (Debian: apt-get install bubblewrap;"
            " `just setup` does) or, only where tools need no isolation, set"
            " CLI_TOOL_SANDBOX=false."
        )
    failure = sandbox_failure()
    if failure:
        raise SandboxMissing(
            f"bubblewrap cannot make the CLI's sandbox here ({failure}), so every task would"
            " fail at its first tool. In a container, give it the security options"
            " docker-compose.yml and deploy/k8s/worker.yaml set (user namespaces: seccomp,"
            " AppArmor and /proc unconfined); on a host, allow unprivileged user namespaces;"
            " or, only where tools need no isolation, set CLI_TOOL_SANDBOX=false."
        )


# What the CLI's tool sandbox does (new user and PID namespaces, a fresh /proc): where the
# kernel or the container's confinement forbids it, this fails at once (deploy/healthcheck too).
SANDBOX_PROBE: tuple[str, ...] = (BWRAP, "--unshare-user", "--unshare-pid")
SANDBOX_PROBE += ("--ro-bind", "/", "/", "--proc", "/proc", "true")


def sandbox_failure() -> str | None:
    """Why bubblewrap cannot make the CLI's sandbox here (its own words), or None if it can."""
    try:
        probe = subprocess.run(SANDBOX_PROBE, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if probe.returncode == 0:
        return None
    return probe.stderr.strip()[-300:] or f"bwrap exited {probe.returncode}"
