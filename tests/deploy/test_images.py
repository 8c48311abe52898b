"""Dockerfile.api and Dockerfile.worker, parsed (dockerfile-parse) and linted (hadolint): no
engine builds them here, so these are the checks a reader can make without one."""

import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from app.config import Settings
from tests.support.processes import ROOT

IMAGES = ("Dockerfile.api", "Dockerfile.worker")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|BASIC_AUTH", re.IGNORECASE)
# A tag naming an exact release (three numbers), or a digest.
EXACT = re.compile(r"^[\w./-]+(:[\w.-]*\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$")
PROCESS_ENV = {"PATH", "PYTHONPATH", "PYTHONUNBUFFERED", "HOME"}


def _parse(name: str) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((ROOT / name).read_bytes()))


def _stages(parser: DockerfileParser) -> list[list[dict[str, Any]]]:
    stages: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, Any]], instruction: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == instruction]


def _base_images(parser: DockerfileParser) -> list[str]:
    defaults = dict(
        line["value"].split("=", 1) for line in parser.structure if line["instruction"] == "ARG"
    )
    images = []
    for value in _values(parser.structure, "FROM"):
        image = value.split()[0]
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image))
    return images


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint_finds_nothing(name: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    config = ROOT / ".hadolint.yaml"
    found = subprocess.run(
        [str(hadolint), "--config", str(config), "--format", "json", str(ROOT / name)],
        capture_output=True,
        text=True,
    )
    assert json.loads(found.stdout or "[]") == [], found.stdout
    assert found.returncode == 0, found.stderr
    # every rule left out is explained next to it
    text = config.read_text()
    for rule in yaml.safe_load(text)["ignored"]:
        assert re.search(rf"#[^\n]+\n(\s*#[^\n]*\n)*\s*- {rule}\b", text), rule


@pytest.mark.parametrize("name", IMAGES)
def test_base_images_are_pinned_to_exact_releases(name: str) -> None:
    images = _base_images(_parse(name))
    stage_names = {value.split()[-1] for value in _values(_parse(name).structure, "FROM")}
    external = [image for image in images if image not in stage_names]
    assert external and all(EXACT.match(image) for image in external), external


@pytest.mark.parametrize("name", IMAGES)
def test_the_final_stage_runs_one_process_as_a_user_with_a_health_check(name: str) -> None:
    final = _stages(_parse(name))[-1]
    (user,) = _values(final, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000  # numeric: Kubernetes' runAsNonRoot checks it
    (health,) = _values(final, "HEALTHCHECK")
    assert "CMD [" in health  # exec form
    (entrypoint,) = _values(final, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["tini", "--"]  # signals reach the process; zombies reaped
    (command,) = _values(final, "CMD")
    assert isinstance(json.loads(command), list)
    assert _values(final, "VOLUME") == ['["/data"]']


@pytest.mark.parametrize("name", IMAGES)
def test_no_secret_and_only_real_settings_in_the_image_environment(name: str) -> None:
    parser = _parse(name)
    names = set(parser.envs) | {
        line["value"].split("=")[0] for line in parser.structure if line["instruction"] == "ARG"
    }
    assert not [env for env in names if SECRET_NAME.search(env)]
    assert set(parser.envs) - PROCESS_ENV <= set(Settings.model_fields)
    assert parser.envs["DATA_DIR"] == "/data" and parser.envs["HOME"].startswith("/data/")


def _copied_sources() -> set[str]:
    sources = set()
    for name in IMAGES:
        for value in _values(_parse(name).structure, "COPY"):
            parts = shlex.split(value)
            if not any(part.startswith("--from=") for part in parts):
                sources |= {part.rstrip("/") for part in parts[:-1]}
    return sources


def test_the_build_context_holds_only_what_is_copied() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything is left out unless named
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources = _copied_sources()

    def sent(source: str) -> bool:  # named, or inside a folder that is
        return any(source == path or source.startswith(f"{path}/") for path in allowed)

    assert sources and all(map(sent, sources)), [s for s in sources if not sent(s)]
    assert all((ROOT / source).exists() for source in sources)
    assert {"**/.env", "**/.env.*"} <= set(lines)


def _satisfies(version: str, npm_range: str) -> bool:
    """npm's ranges as the lock files write them here: `>=a.b.c`, `^a.b.c`, joined by `||`."""
    have = tuple(map(int, version.split(".")))
    for option in npm_range.split("||"):
        option = option.strip()
        want = tuple(map(int, option.lstrip(">=^").split(".")))
        if option.startswith("^") and have[0] == want[0] and have >= want:
            return True
        if option.startswith(">=") and have >= want:
            return True
    return False


def _node_version(name: str) -> str:
    (node,) = [image for image in _base_images(_parse(name)) if image.startswith("node:")]
    return node.split(":")[1].split("-")[0]


def test_node_meets_the_cli_and_the_dashboard() -> None:
    cli_lock = json.loads((ROOT / "package-lock.json").read_text())
    cli = cli_lock["packages"]["node_modules/@anthropic-ai/claude-code"]
    assert _satisfies(_node_version("Dockerfile.worker"), cli["engines"]["node"])
    frontend_lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
    vite = frontend_lock["packages"]["node_modules/vite"]
    assert _satisfies(_node_version("Dockerfile.api"), vite["engines"]["node"])
    assert not _satisfies("20.18.0", vite["engines"]["node"])  # the check itself can say no


def test_the_api_image_builds_the_dashboard_and_serves_it() -> None:
    stages = _stages(_parse("Dockerfile.api"))
    dashboard = next(stage for stage in stages if stage[0]["value"].endswith(" AS dashboard"))
    runs = " ".join(_values(dashboard, "RUN"))
    assert "npm ci" in runs and "npm run build" in runs
    assert _values(dashboard, "WORKDIR") == ["/src/frontend"]
    copies = _values(stages[-1], "COPY")
    assert "--from=dashboard /src/frontend/dist ./frontend/dist" in copies
    assert json.loads(_values(stages[-1], "CMD")[0])[:2] == ["uvicorn", "app.main:app"]


def test_the_worker_image_has_the_pinned_cli_git_bubblewrap_and_setpriv() -> None:
    stages = _stages(_parse("Dockerfile.worker"))
    cli = next(stage for stage in stages if stage[0]["value"].endswith(" AS cli"))
    assert "package.json package-lock.json ./" in _values(cli, "COPY")
    assert "npm ci --omit=dev" in " ".join(_values(cli, "RUN"))  # the lock file's exact version
    final = stages[-1]
    installs = " ".join(_values(final, "RUN"))
    packages = set(re.search(r"apt-get install[^&]*", installs).group(0).split())  # type: ignore[union-attr]
    assert {"bubblewrap", "git", "util-linux", "tini"} <= packages
    assert any(value.startswith("--from=cli ") for value in _values(final, "COPY"))
    assert _parse("Dockerfile.worker").envs["CLAUDE_CLI_PATH"] == "/usr/local/bin/claude"
    assert json.loads(_values(final, "CMD")[0])[:4] == [
        "celery",
        "-A",
        "worker.celery_app",
        "worker",
    ]
