"""The API fuzzed from its own OpenAPI schema (schemathesis) against a running system (real
uvicorn, Redis, a worker): no 5xx, and every response matches the schema. FUZZ_EXAMPLES sets
the examples per operation: a few, seeded, in CI; `just fuzz` runs 500."""

import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
)
from schemathesis.config import SchemathesisConfig

from app.main import app
from tests.conftest import running_stack
from tests.support.processes import ROOT, wait_until
from tests.support.stack import TOKEN, Stack

# Checks that a schema-valid body is accepted and an invalid one refused: the API checks more
# than a schema says (an agent must exist, an event name must be one), and pydantic reads
# `0` as false. What is checked: no 5xx, every answer declared and as described, auth enforced.
SEMANTIC = [positive_data_acceptance, negative_data_rejection]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# Every route declares every answer it gives (app.errors.error_responses).
DECLARED = ("/api/",)

# The schema is the app's own, built in this process, since the tests are made at collection
# time (schemathesis.pytest.from_fixture, which waits for a fixture, fails on pytest 9); every
# request goes to the running server. The token is given as the bearer scheme's, so that
# cases testing the auth itself (no token, a wrong one) are known as such. The key is the
# scheme's name in the schema (app/auth.py): another name is ignored, with a warning only.
CONFIG = {
    "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},
}
schema = schemathesis.openapi.from_dict(app.openapi(), config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[Stack]:
    """POST /api/tasks makes real tasks: they run on the instant stand-in CLI."""
    with running_stack(
        tmp_path_factory,
        stub_url,
        CLAUDE_CLI_PATH=ROOT / "bench" / "instant_cli.py",
        # Bodies are validated, not cut short: a 413 is none of the answers schemathesis expects
        # to invalid data (the limit itself is tested in tests/tasks/test_bad_input.py).
        MAX_BODY_BYTES=100_000_000,
    ) as system:
        health = f"{system.client.base_url}/api/health"
        wait_until(lambda: httpx.get(health).status_code == 200, 30, what="a healthy system")
        yield system


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run: CI fails or passes for the code
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_api_answers_as_its_schema_says(case: schemathesis.Case, fuzzed_stack: Stack) -> None:
    declared = case.operation.path.startswith(DECLARED)
    case.call_and_validate(
        base_url=str(fuzzed_stack.client.base_url),
        checks=None if declared else [not_a_server_error],
        excluded_checks=SEMANTIC,
    )
