"""docker-compose.yml against the Compose specification (compose-spec, a strict parser of it)
and against app/config.py; no engine runs here."""

import json
from pathlib import Path
from typing import Any

import pytest
from compose_spec import PyCompose, parse_duration
from dotenv import dotenv_values

from app.config import Settings
from deploy.envfile import COMPOSE_ONLY
from tests.deploy.compose_file import (
    COMPOSE,
    MissingVariable,
    environment,
    just_init,
    load,
    variables_used,
)

SETTINGS = set(Settings.model_fields)
APP_SERVICES = ("migrate", "api", "worker", "flower")
DEPLOY_ENV = {"API_TOKEN": "t0ken", "FLOWER_BASIC_AUTH": "admin:pw", "POSTGRES_PASSWORD": "pg"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load(DEPLOY_ENV)


def _validate(document: dict[str, Any]) -> None:
    PyCompose.from_json(json.dumps(document)).validate()


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    _validate(compose)
    services = compose["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, (name, needed)


def test_the_specification_check_can_fail(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    for wrong in ({"restart": "sometimes"}, {"stop_grace_period": "90q"}, {"replica": 2}):
        with pytest.raises(ValueError):
            _validate(
                {**compose, "services": {**compose["services"], "worker": {**worker, **wrong}}}
            )


def test_every_variable_is_a_setting_or_a_documented_compose_variable() -> None:
    compose_only = {name for name, _, _ in COMPOSE_ONLY}
    used = variables_used(COMPOSE.read_text())
    assert used <= SETTINGS | compose_only, used - SETTINGS - compose_only
    assert compose_only - used == {"COMPOSE_PROFILES"}  # read by Compose itself


def test_every_environment_name_of_the_system_is_a_setting(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = environment(compose["services"][name])
        assert set(env) <= SETTINGS, (name, set(env) - SETTINGS)
        # and its values are valid ones (this builds the settings the container will have)
        Settings(**{"API_TOKEN": "t", **{k: v for k, v in env.items() if v is not None}})


def test_every_setting_reaches_the_system_and_the_containers_own_paths_win(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    redis_port = 6379
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == [{"path": ".env", "required": True}], name
        env = environment(service)
        assert env["REDIS_URL"] == f"redis://redis:{redis_port}/0"
        assert env["DATA_DIR"] == "/data" and "data:/data" in service["volumes"]
        assert env["CLI_HOME"] == "" and env["AGENTS_DIR"] == ""  # under DATA_DIR, never .env's
    assert environment(services["worker"])["AGENT_API_URL"] == "http://api:8000"
    assert environment(services["api"])["API_PORT"] == "8000"
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert environment(services["flower"])["FLOWER_BASIC_AUTH"] == DEPLOY_ENV["FLOWER_BASIC_AUTH"]


def test_flower_and_postgres_refuse_to_start_without_their_secrets() -> None:
    with pytest.raises(MissingVariable, match="FLOWER_BASIC_AUTH"):
        load({key: value for key, value in DEPLOY_ENV.items() if key != "FLOWER_BASIC_AUTH"})
    # postgres, under its profile, refuses an empty password itself (the image's entrypoint)
    without = load({key: value for key, value in DEPLOY_ENV.items() if key != "POSTGRES_PASSWORD"})
    assert environment(without["services"]["postgres"])["POSTGRES_PASSWORD"] == ""


def test_the_env_that_just_init_writes_is_enough_for_compose(tmp_path: Path) -> None:
    """Compose interpolates every service, those of profiles not started too, before it does
    anything: a variable the default .env lacks must not be a required one."""
    just_init(tmp_path)
    written = {k: v for k, v in dotenv_values(tmp_path / ".env").items() if v is not None}
    compose = load(written)
    _validate(compose)
    assert (
        environment(compose["services"]["flower"])["FLOWER_BASIC_AUTH"]
        == (written["FLOWER_BASIC_AUTH"])
    )


def test_redis_persists_and_everything_waits_for_what_it_needs(compose: dict[str, Any]) -> None:
    services = compose["services"]
    redis = services["redis"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert redis["volumes"] == ["redis:/data"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"] == {"condition": "service_completed_successfully"}
        assert needs["redis"] == {"condition": "service_healthy"}
        assert needs["postgres"] == {"condition": "service_healthy", "required": False}
    assert services["postgres"]["profiles"] == ["postgres"]
    for name, service in services.items():
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name
            assert service["healthcheck"]["test"][0] == "CMD", name


def test_workers_scale_by_replicas_and_outlast_their_stop_grace() -> None:
    worker = load({**DEPLOY_ENV, "WORKER_REPLICAS": "7"})["services"]["worker"]
    assert worker["deploy"]["replicas"] == 7
    assert load(DEPLOY_ENV)["services"]["worker"]["deploy"]["replicas"] == 2
    limit = next(
        m.le for m in Settings.model_fields["STOP_GRACE_SECONDS"].metadata if hasattr(m, "le")
    )
    assert parse_duration(worker["stop_grace_period"]) > limit
    # the tool sandbox (bubblewrap) may make its namespaces and mount its /proc
    assert {"seccomp=unconfined", "systempaths=unconfined"} <= set(worker["security_opt"])
