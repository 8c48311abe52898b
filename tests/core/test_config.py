"""A bad setting fails at start with a message naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"API_TOKEN", "AUTH_DISABLED"}}
    return subprocess.run(
        [sys.executable, "-c", "import app.config"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"API_TOKEN": "t", "MAX_CONCURRENT_TASKS": "lots"}, "MAX_CONCURRENT_TASKS"),
        ({"API_TOKEN": "t", "MAX_CONCURRENT_TASKS": "0"}, "MAX_CONCURRENT_TASKS"),
        ({"API_TOKEN": "t", "TASK_TIMEOUT_SECONDS": "-5"}, "TASK_TIMEOUT_SECONDS"),
        ({"API_TOKEN": "t", "REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"API_TOKEN": "t", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"API_TOKEN": "t", "API_PORT": "70000"}, "API_PORT"),
        ({}, "API_TOKEN"),
    ],
)
def test_bad_setting_fails_naming_it(env: dict[str, str], named: str) -> None:
    result = _import_settings(**env)
    assert result.returncode != 0
    assert "Invalid configuration" in result.stderr and named in result.stderr
    assert "Traceback" not in result.stderr


def test_good_settings_load() -> None:
    result = _import_settings(AUTH_DISABLED="true", CORS_ORIGINS="http://a, http://b")
    assert result.returncode == 0, result.stderr


def test_a_developers_dotenv_does_not_reach_the_tests(tmp_path: Path) -> None:
    """`just up` writes API_TOKEN into .env; `just test` (whose dotenv-load exports it) must
    still see no token where a test removed it (the README's order: up, then test)."""
    (tmp_path / ".env").write_text("API_TOKEN=from-the-developers-env\n")
    clean = {k: v for k, v in os.environ.items() if k not in {"API_TOKEN", "AUTH_DISABLED"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); import app.config"],
        env={**clean, "CCAGENT_DOTENV": ""},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "API_TOKEN" in result.stderr
    assert os.environ.get("CCAGENT_DOTENV") == ""  # conftest set it for every test process
