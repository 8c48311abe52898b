"""How the brain (CLAUDE.md, built-in and custom agents and skills) reaches a run."""

from app.config import Settings
from app.tasks.models import Task


def working_dir(settings: Settings, task: Task) -> str:
    del task
    return settings.BRAIN_DIR


def cli_args(settings: Settings) -> list[str]:
    """Arguments that give the CLI the brain's agents and skills."""
    del settings
    return []
