"""How the brain reaches a run that works in a directory of its own.

Measured on the pinned CLI (2.1.332): with the run's workspace as its working directory,
`--add-dir DIR` makes the CLI load `DIR/.claude/agents` and `DIR/.claude/skills` (so
`--agent NAME` finds them, with only their tools), and with
`CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD=1` (set in worker/environment.py) it also sends
`DIR/.claude/CLAUDE.md`. Two directories are given: the built-in brain (BRAIN_DIR, the source
tree) and the custom agents and skills made through the API (AGENTS_DIR, under DATA_DIR).
"""

from pathlib import Path

from app.config import Settings
from app.tasks.models import Task
from worker import confinement


def brain_dirs(settings: Settings) -> list[str]:
    return [settings.BRAIN_DIR, settings.AGENTS_DIR]


def ensure_custom_dir(settings: Settings) -> None:
    """The CLI is given AGENTS_DIR before anyone has made a custom agent."""
    (Path(settings.AGENTS_DIR) / ".claude").mkdir(parents=True, exist_ok=True)


def cli_args(settings: Settings, task: Task) -> list[str]:
    """Arguments that give the CLI the brain's CLAUDE.md, agents and skills (read-only), keep
    the run's tools to its own files (worker/confinement.py), and keep a repository's own hooks
    and MCP servers from running: a checked-out `.claude/settings.json` runs its hooks at
    session start outside the tools' sandbox, and `.mcp.json` servers start unasked (2.1.332);
    settings given on the command line win over the repository's, and only our MCP config is
    used."""
    args: list[str] = []
    for directory in brain_dirs(settings):
        args += ["--add-dir", directory]
    cli_settings = confinement.settings_json(settings, task, disableAllHooks=True)
    return [*args, "--settings", cli_settings, "--strict-mcp-config"]
