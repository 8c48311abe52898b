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
from functools import lru_cache
from pathlib import Path

from app.config import DOTENV, Settings
from app.tasks.models import Task
from app.workspaces import repos, worktrees


def _absolute(path: str | Path) -> str:
    """The path resolved. Its directory's resolution is kept: the settings' directories stay
    put for a worker's life, and resolving them anew on every run cost ~0.4 ms of its spawn.
    The last part is joined as it is: a task's own directory, which the worker itself makes
    (or a setting's, resolved in full where it is named alone)."""
    path = Path(path)
    return str(Path(_resolved(str(path.parent))) / path.name)


@lru_cache(maxsize=256)
def _resolved(path: str) -> str:
    return str(Path(path).resolve())


def _setting_dir(path: str | Path) -> str:
    """A directory the settings name, resolved in full (it may itself be a symlink)."""
    return _resolved(str(path))


def _edit_rule(path: str) -> str:
    return f"Edit(/{path}/**)"  # `//` opens an absolute path in a permission rule


def readable(settings: Settings, task: Task) -> list[str]:
    """What of DATA_DIR the run's tools may read."""
    paths = [
        worktrees.workspace(settings, task.id),
        settings.data_dir / "runs" / task.id,  # its task token
    ]
    if task.repository:  # git in the worktree reads the cache's objects
        paths.append(repos.cache_dir(settings, task.repository))
    return [*map(_absolute, paths), _setting_dir(settings.AGENTS_DIR)]


def unreadable(settings: Settings) -> list[str]:
    """DATA_DIR (but what `readable` carves out) and the settings file the worker reads."""
    paths = [_setting_dir(settings.data_dir)]
    if DOTENV and Path(DOTENV).is_file():  # relative to the worker's directory, as it is read
        # (only when there: for a missing path bubblewrap would make a mount point in its place)
        paths.append(str(Path(DOTENV).resolve()))
    return paths


def _brain(settings: Settings) -> list[str]:
    return [_setting_dir(settings.BRAIN_DIR), _setting_dir(settings.AGENTS_DIR)]


def unwritable(settings: Settings) -> list[str]:
    return [*_brain(settings), _setting_dir(repos.caches_dir(settings))]


def cli_settings(settings: Settings, task: Task) -> dict[str, object]:
    brain = _brain(settings)
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
