"""What a run may read and write, as CLI settings (measured on 2.1.332; docs/workspaces.md).

The CLI's Bash tool runs under bubblewrap with `/` read-only, but its working directory and every
`--add-dir` directory are bound writable, and every other path is readable: one run could edit
the brain's CLAUDE.md or read another task's worktree. Its file tools (Read, Write, Edit) run in
the CLI itself, outside bubblewrap. So both layers are told:
- the sandbox (`sandbox.filesystem`): nothing under DATA_DIR is readable but the run's own
  workspace, private run directory, custom brain and repository cache, nor the settings file
  (`.env`: the admin token, the model key); the brain directories and the caches (their
  `config` steers the system's own fetches and pushes) are unwritable;
- the file tools (`permissions`): no edit in the brain directories, and no read or write
  outside the working directories (the workspace and the brain directories).
"""

import json
from pathlib import Path

from app.config import DOTENV, Settings
from app.tasks.models import Task
from app.workspaces import repos, worktrees


def _absolute(path: str | Path) -> str:
    return str(Path(path).resolve())


def _edit_rule(path: str) -> str:
    return f"Edit(/{path}/**)"  # `//` opens an absolute path in a permission rule


def readable(settings: Settings, task: Task) -> list[str]:
    """What of DATA_DIR the run's tools may read."""
    paths = [
        worktrees.workspace(settings, task.id),
        settings.data_dir / "runs" / task.id,  # its task token
        Path(settings.AGENTS_DIR),
    ]
    if task.repository:  # git in the worktree reads the cache's objects
        paths.append(repos.cache_dir(settings, task.repository))
    return [_absolute(path) for path in paths]


def unreadable(settings: Settings) -> list[str]:
    """DATA_DIR (but what `readable` carves out) and the settings file the worker reads."""
    paths = [_absolute(settings.data_dir)]
    if DOTENV and Path(DOTENV).is_file():  # relative to the worker's directory, as it is read
        # (only when there: for a missing path bubblewrap would make a mount point in its place)
        paths.append(_absolute(DOTENV))
    return paths


def unwritable(settings: Settings) -> list[str]:
    brain = [_absolute(settings.BRAIN_DIR), _absolute(settings.AGENTS_DIR)]
    return [*brain, _absolute(repos.caches_dir(settings))]


def cli_settings(settings: Settings, task: Task) -> dict[str, object]:
    brain = [_absolute(settings.BRAIN_DIR), _absolute(settings.AGENTS_DIR)]
    return {
        "permissions": {
            "deny": [_edit_rule(path) for path in brain],
            "blockWritesOutsideWorkingDirectories": True,
            "blockFileToolReadsOutsideWorkingDirectories": True,
        },
        "sandbox": {
            "filesystem": {
                "denyRead": unreadable(settings),
                "allowRead": readable(settings, task),
                "denyWrite": unwritable(settings),
            }
        },
    }


def settings_json(settings: Settings, task: Task, **more: object) -> str:
    return json.dumps({**more, **cli_settings(settings, task)})
