"""What one run is given: its working directory, its environment (an allow-list), and its task
token (in a file, since the CLI's tool sandbox strips variables whose names look secret).

`prepare()` is called when a run starts and `cleanup()` when it ends, whatever the outcome.
"""

import os
from dataclasses import dataclass

from app.config import Settings
from app.tasks.models import Task
from worker import brain


@dataclass(frozen=True)
class RunSetup:
    cwd: str
    env: dict[str, str]


def prepare(settings: Settings, task: Task, home: str) -> RunSetup:
    return RunSetup(cwd=brain.working_dir(settings, task), env=build_env(settings, home, task.id))


def cleanup(settings: Settings, task_id: str) -> None:
    """Remove what prepare() made for the run."""


# The service's own secrets and plumbing never reach the CLI or the tools it runs.
PRIVATE_ENV = {"API_TOKEN", "DATABASE_URL", "REDIS_URL", "CLAUDE_CLI_PATH", "AUTH_DISABLED"}


def build_env(settings: Settings, home: str, task_id: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in PRIVATE_ENV}
    env.update(
        HOME=home,
        AGENT_TASK_ID=task_id,  # the run knows its task; its processes are findable by it
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        AGENT_API_URL=f"http://{settings.API_HOST}:{settings.API_PORT}",
    )
    if settings.CLI_MAX_RETRIES is not None:
        env["CLAUDE_CODE_MAX_RETRIES"] = str(settings.CLI_MAX_RETRIES)
    if settings.API_TOKEN:
        env["AGENT_API_TOKEN"] = settings.API_TOKEN.get_secret_value()
    if settings.ANTHROPIC_BASE_URL:
        env["ANTHROPIC_BASE_URL"] = settings.ANTHROPIC_BASE_URL
    if settings.ANTHROPIC_API_KEY:
        env["ANTHROPIC_API_KEY"] = settings.ANTHROPIC_API_KEY.get_secret_value()
    if settings.CLAUDE_CODE_OAUTH_TOKEN:
        env["CLAUDE_CODE_OAUTH_TOKEN"] = settings.CLAUDE_CODE_OAUTH_TOKEN.get_secret_value()
    return env
