""".env.example lists every setting of app/config.py with its meaning (generated, so it cannot
drift: this fails until `just env-example` is run), and `just init` makes a working .env."""

import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

from app.config import Settings
from deploy.envfile import COMPOSE_ONLY, REQUIRED, TARGET, meaning, render
from tests.deploy.compose_file import just_init
from tests.support.processes import ROOT


def test_env_example_is_generated_from_the_settings() -> None:
    assert TARGET.read_text() == render(), "out of date: run `just env-example`"


def test_every_setting_is_listed_once_with_its_meaning() -> None:
    text = TARGET.read_text()
    for name, field in Settings.model_fields.items():
        assert meaning(name, field), f"{name} has no description in app/config.py"
        line = f"{name}=" if name in REQUIRED else f"# {name}="
        assert sum(row.startswith(line) for row in text.splitlines()) == 1, name
    for name, _, text_ in COMPOSE_ONLY:
        assert f"# {name}=" in text and text_ in text


def test_just_init_makes_a_private_env_with_fresh_secrets(tmp_path: Path) -> None:
    just_init(tmp_path)
    env_file = tmp_path / ".env"
    assert env_file.stat().st_mode & 0o077 == 0
    values = dotenv_values(env_file)
    assert len(values["API_TOKEN"] or "") >= 32
    user, _, password = (values["FLOWER_BASIC_AUTH"] or "").partition(":")
    assert user == "admin" and len(password) >= 16
    # the application, started there with nothing else set, takes its token from that .env
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app.config import settings as s; print(s.API_TOKEN.get_secret_value())",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert loaded.stdout.strip() == values["API_TOKEN"], loaded.stderr

    assert "left as it is" in just_init(tmp_path)  # again: the .env stays
    assert dotenv_values(env_file) == values
