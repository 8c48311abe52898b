"""A run holds no key it could leak: its tools see neither the model credential nor the admin
token, and the token it has reaches only its own task, and only while it runs."""

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import TOKEN, Stack

MODEL_KEY = "sk-ant-model-key-never-shown-4711"
PROBE = """
import json, os, urllib.error, urllib.request


token = open(os.path.join(os.environ["AGENT_RUN_DIR"], "api-token")).read()
base = os.environ["AGENT_API_URL"]

def status(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code

print("PROBE " + json.dumps({
    "own": status("/api/tasks/" + os.environ["AGENT_TASK_ID"]),
    "list": status("/api/tasks"),
    "status": status("/api/status"),
    "token_file_mode": oct(os.stat(os.environ["AGENT_RUN_DIR"] + "/api-token").st_mode & 0o777),
}))
"""


DOTENV_SECRET = "dotenv-only-secret-0815"


@pytest.fixture(scope="module")
def dotenv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings file as `just up` writes one beside the code: the tools must not read it."""
    path = tmp_path_factory.mktemp("checkout") / ".env"
    path.write_text(f"ANTHROPIC_API_KEY={MODEL_KEY}\nSENTRY_TOKEN={DOTENV_SECRET}\n")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, stub_url: str, dotenv: Path) -> Any:
    from tests.conftest import running_stack

    overrides = {"ANTHROPIC_API_KEY": MODEL_KEY, "CCAGENT_DOTENV": str(dotenv)}
    with running_stack(tmp_path_factory, stub_url, **overrides) as system:
        yield system


def _strings(value: Any) -> list[str]:
    """Every string inside a parsed stream-json line (a tool's output sits deep in it)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _all_output(stack: Stack, task_id: str) -> str:
    return "\n".join(chunk["line"] for chunk in stack.output_lines(task_id))


def test_the_tools_environment_holds_no_secret(stack: Stack) -> None:
    task = stack.submit("@stub bash env; cat /proc/*/environ 2>/dev/null | tr '\\\\0' '\\\\n'")
    assert stack.wait_done(task["id"])["status"] == "completed"
    output = _all_output(stack, task["id"])
    assert "AGENT_TASK_ID=" in output  # the command ran and printed its environment
    assert "AGENT_RUN_DIR=" in output
    for secret in (MODEL_KEY, TOKEN, "cca-task."):
        assert secret not in output


def test_the_tools_cannot_read_the_settings_file(stack: Stack, dotenv: Path) -> None:
    task = stack.submit(f"@stub bash cat {dotenv}; echo cat-ended-$((0 + $?))")
    assert stack.wait_done(task["id"])["status"] == "completed"
    output = _all_output(stack, task["id"])
    assert re.search(r"cat-ended-[1-9]", output), output[-2000:]  # the tool ran; cat failed
    for secret in (MODEL_KEY, DOTENV_SECRET):
        assert secret not in output


def test_the_task_token_reaches_its_own_task_only_and_ends_with_it(
    stack: Stack, tmp_path: Path
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    task = stack.submit(f"@stub bash {sys.executable} {probe}")
    assert stack.wait_done(task["id"])["status"] == "completed"
    printed = next(
        text
        for chunk in stack.output_lines(task["id"])
        for text in _strings(json.loads(chunk["line"]))
        if text.startswith("PROBE {")
    )
    found = json.loads(printed.splitlines()[0].removeprefix("PROBE "))
    assert found == {"own": 200, "list": 403, "status": 403, "token_file_mode": "0o600"}
    # The run's private directory, and with it the token, is gone once the task ended.
    assert not (Path(stack.env["DATA_DIR"]) / "runs" / task["id"]).exists()
