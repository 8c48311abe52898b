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
import sys
from functools import lru_cache
from pathlib import Path

from app.config import DOTENV, ROOT_DIR, Settings
from app.tasks.models import Task
from app.workspaces import repos, worktrees
from worker.writable import writable_top


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


def unwritable(settings: Settings, task: Task) -> list[str]:
    """The brains and the repository caches. The task's own cache is named as well: the CLI
    binds a worktree's common git directory writable, and a denial of a directory above it
    held only where that directory was itself writable to the sandbox (under /root, not
    /work: the run appended to the cache's info/exclude)."""
    paths = [*_brain(settings), _setting_dir(repos.caches_dir(settings))]
    if task.repository:
        paths.append(_absolute(repos.cache_dir(settings, task.repository)))
    return [*paths, *_system_code(str(ROOT_DIR), sys.prefix, str(settings.data_dir))]


@lru_cache(maxsize=4)
def _system_code(root: str, prefix: str, data_dir: str) -> tuple[str, ...]:
    """The system's own code, where the sandbox would let tools write it (a source tree or a
    virtualenv under /home, /root, /opt, …: worker/writable.py): a run that planted a module
    there would have it run, with every secret, by the next start. Read once per worker. (The
    settings file among them stays unreadable: the denial of reading wins, measured.)"""
    paths: list[str] = []
    if writable_top(Path(root)) is not None:
        paths += source_tree_entries(Path(root), Path(data_dir))
    venv = Path(prefix).resolve()
    if writable_top(venv) is not None and not venv.is_relative_to(Path(root).resolve()):
        paths.append(str(venv))
    return tuple(paths)


def source_tree_entries(root: Path, data_dir: Path) -> list[str]:
    """What of the source tree `root` a run may not write: all of it, or, when DATA_DIR is
    inside it (the quick start's `data/`), every entry but the one that holds DATA_DIR, since a
    denial above the workspace would make the workspace read-only too (and undo DATA_DIR's
    unreadability). New files at the tree's top stay writable then (the worker warns)."""
    root, data_dir = root.resolve(), data_dir.resolve()
    if data_dir == root:
        return []
    if not data_dir.is_relative_to(root):
        return [str(root)]
    holder = root / data_dir.relative_to(root).parts[0]
    return sorted(str(entry) for entry in root.iterdir() if entry != holder)


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
                "denyWrite": unwritable(settings, task),
            }
        },
    }


def settings_json(settings: Settings, task: Task, **more: object) -> str:
    return json.dumps({**more, **cli_settings(settings, task)})
