"""A run's tools cannot plant code where the system runs from: the real CLI, its sandbox and
the settings worker/confinement.py gives it, for a source tree where the sandbox would let Bash
write (under /tmp here, as a home or /opt would be: worker/writable.py) holding DATA_DIR, as the
quick start's does. Without the denials the tool wrote `app/planted.py` (measured on 2.1.332)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from app.config import Settings
from app.tasks.models import as_record
from worker import confinement
from worker.cli import build_argv
from worker.environment import build_env
from worker.writable import writable_top

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tool_scratch: Path) -> Path:
    """A source tree of the system's shape, with DATA_DIR inside it and a settings file."""
    root = tool_scratch / "ccagent"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("print('the system')\n")
    (root / ".env").write_text("API_TOKEN=admin-token-of-the-tree\n")
    shutil.copytree(ROOT / "agents_brain", root / "agents_brain")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_a_run_cannot_write_into_the_source_tree_nor_read_its_settings(
    tree: Path, stub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert writable_top(tree) is not None  # else the sandbox itself would refuse the writes
    monkeypatch.setattr(confinement, "ROOT_DIR", tree)
    monkeypatch.setattr(confinement, "DOTENV", str(tree / ".env"))
    confinement._system_code.cache_clear()
    settings = Settings(
        API_TOKEN="admin-token-of-the-tree",
        DATA_DIR=str(tree / "data"),
        BRAIN_DIR=str(tree / "agents_brain"),
        CLAUDE_CLI_PATH=str(ROOT / "node_modules" / ".bin" / "claude"),
        ANTHROPIC_BASE_URL=stub_url,
        ANTHROPIC_API_KEY="test-key",
    )
    workspace = settings.data_dir / "workspaces" / "t1"
    workspace.mkdir(parents=True)
    home = settings.data_dir / "home" / "slot"
    home.mkdir(parents=True)
    (settings.data_dir / "brain" / ".claude").mkdir(parents=True)
    task = as_record(id="t1", prompt="", session_id="s1")
    planted = tree / "app" / "planted.py"
    command = (
        f"python3 -c \"open('{planted}', 'w').write('import os')\"; echo planted-$?;"
        f" cat {tree / '.env'}; echo read-$?; echo mine > here.txt; echo wrote-$?"
    )
    try:
        run = subprocess.run(
            build_argv(settings, task),
            input=f"@stub bash {command}",
            cwd=workspace,
            env=build_env(settings, str(home), task.id),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        confinement._system_code.cache_clear()
    assert run.returncode == 0, run.stderr
    assert not planted.exists(), run.stdout[-2000:]
    assert "planted-1" in run.stdout and "Read-only file system" in run.stdout
    assert "admin-token-of-the-tree" not in run.stdout
    assert (workspace / "here.txt").read_text() == "mine\n"  # the run's own directory stays its


def test_only_the_entry_holding_data_dir_stays_writable(tmp_path: Path) -> None:
    for name in ("app", "worker", ".venv", ".git", "data", "pyproject.toml"):
        (tmp_path / name).mkdir() if "." not in name[1:] else (tmp_path / name).touch()
    inside = confinement.source_tree_entries(tmp_path, tmp_path / "data")
    assert inside == sorted(
        str(tmp_path / n) for n in ("app", "worker", ".venv", ".git", "pyproject.toml")
    )
    assert confinement.source_tree_entries(tmp_path, tmp_path.parent / "elsewhere") == [
        str(tmp_path.resolve())
    ]
