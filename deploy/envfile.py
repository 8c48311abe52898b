"""Writes .env.example from app/config.py: every setting with its meaning and default, then the
variables only docker-compose.yml reads. `just env-example` runs it; a test fails on drift.

    python -m deploy.envfile [--write]
"""

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / ".env.example"

# Filled in by `just init` (random values); every other setting may stay at its default.
REQUIRED = ("API_TOKEN", "FLOWER_BASIC_AUTH")

# For the few fields app/config.py leaves without a description.
MEANINGS = {
    "LOG_LEVEL": "Lowest level of log lines printed.",
    "API_HOST": "Address the API listens on (`just api`, `just up`).",
    "API_PORT": "Port the API listens on.",
}

# Variables docker-compose.yml reads that are no setting of the application: (name, default,
# meaning). tests/deploy check that the compose file uses no other.
COMPOSE_ONLY: tuple[tuple[str, str, str], ...] = (
    ("WORKER_REPLICAS", "2", "Worker containers `just compose-up` starts (`just scale N`)."),
    ("IMAGE_TAG", "latest", "Tag of the ccagent-api and ccagent-worker images built and run."),
    ("PUBLISH_ADDRESS", "127.0.0.1", "Host address the API and Flower ports are published on."),
    ("API_PUBLISH_PORT", "8000", "Host port of the API and the dashboard."),
    ("FLOWER_PUBLISH_PORT", "5555", "Host port of Flower (behind FLOWER_BASIC_AUTH)."),
    (
        "POSTGRES_PASSWORD",
        "",
        "Password of the `postgres` profile's database (it refuses to start without one).",
    ),
    ("COMPOSE_PROFILES", "", "Docker Compose's own: `postgres` also starts PostgreSQL."),
)

HEADER = """\
# Claude Code Agent: every setting, with its meaning and default (Default: … after each).
# Generated from app/config.py by `just env-example`; tests/deploy fail when it drifts.
# Copy it to .env (`just init` does, with a new API_TOKEN and FLOWER_BASIC_AUTH); a commented
# line keeps its default. The same .env serves `just up` and docker compose.
"""

POSTGRES_NOTE = """\
# With COMPOSE_PROFILES=postgres, point the system at it:
#   DATABASE_URL=postgresql+psycopg://ccagent:<POSTGRES_PASSWORD>@postgres:5432/ccagent
"""


def _settings_fields() -> dict[str, FieldInfo]:
    os.environ.setdefault("AUTH_DISABLED", "true")  # only the class is read, never a token
    from app.config import Settings

    return dict(Settings.model_fields)


def _default(field: FieldInfo) -> str:
    value: Any = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    if value is None or isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    text = str(value)
    root = str(ROOT)
    return text.replace(root + os.sep, "").replace(root, ".") if text.startswith(root) else text


def meaning(name: str, field: FieldInfo) -> str:
    return field.description or MEANINGS.get(name, "")


def render() -> str:
    lines = [HEADER, "# --- Settings (app/config.py) ---", ""]
    for name, field in _settings_fields().items():
        default = _default(field)
        lines.append(f"# {meaning(name, field)} Default: {default or '(unset)'}")
        lines.append(f"{name}=" if name in REQUIRED else f"# {name}={default}")
        if name == "DATABASE_URL":
            lines.append(POSTGRES_NOTE.rstrip("\n"))
        lines.append("")
    lines += ["# --- docker-compose.yml only ---", ""]
    for name, default, text in COMPOSE_ONLY:
        lines += [f"# {text} Default: {default or '(unset)'}", f"# {name}={default}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        TARGET.write_text(render())
        print(f"wrote {TARGET.relative_to(ROOT)}")
    else:
        sys.stdout.write(render())
