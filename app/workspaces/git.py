"""Running git for the system: a clean environment (no system or user git config, no prompts),
hooks and fsmonitor off (a run can write into a cache's files, and the system must never run
a command a run planted), and errors that say which command failed and why, secrets removed."""

import os
import subprocess
from pathlib import Path

from app.config import Settings
from app.workspaces import credentials
from app.workspaces.errors import WorkspaceError

TIMEOUT_SECONDS = 600.0
SAFE = [
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
]
_ERROR_CHARS = 600


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "LANG", "TZ") if key in os.environ}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        HOME=os.devnull,
        LC_ALL="C",
    )
    env.update(extra)
    return env


def run(
    settings: Settings,
    *args: str,
    cwd: Path | None = None,
    remote: bool = False,
    env: dict[str, str] | None = None,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`git ARGS` in `cwd`. `remote`: it talks to the server, so it gets the credentials."""
    extra = dict(env or {})
    options = list(SAFE)
    if remote:
        options += credentials.config_args(settings)
        extra.update(credentials.env(settings))
    try:
        done = subprocess.run(
            ["git", *options, *args],
            cwd=cwd,
            env=_env(extra),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise WorkspaceError(f"git {args[0]} failed: {error}") from None
    if check and done.returncode != 0:
        detail = _clean(done.stderr or done.stdout, extra)
        raise WorkspaceError(f"git {args[0]} failed ({done.returncode}): {detail}")
    return done


def output(settings: Settings, *args: str, cwd: Path | None = None) -> str:
    return run(settings, *args, cwd=cwd).stdout.strip()


def _clean(text: str, extra: dict[str, str]) -> str:
    """The end of git's message, without a secret it was given (it never prints one, but an
    error message is no place to find out)."""
    text = text.strip()[-_ERROR_CHARS:]
    for value in extra.values():
        if len(value) >= 4:
            text = text.replace(value, "[redacted]")
    return text.replace("\n", " | ")
