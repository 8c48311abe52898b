"""The real ``claude`` CLI against the model stub on a real uvicorn server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stub.runner import StubServer
from stub.script import ECHO_PREFIX, SIDE_REPLY, compute_usage, extract_prompt
from tests.stub.conftest import Run

RunClaude = Callable[..., Run]


def recorded(stub: StubServer) -> list[dict[str, Any]]:
    response = httpx.get(f"{stub.url}/_stub/requests", timeout=5)
    response.raise_for_status()
    bodies: list[dict[str, Any]] = response.json()
    return bodies


def test_echo_reaches_the_result_line_with_cost_and_usage(run_claude: RunClaude) -> None:
    prompt = "hello from the echo test"
    run = run_claude(prompt)
    result = run.result
    reply = ECHO_PREFIX + prompt
    assert result["subtype"] == "success" and result["is_error"] is False
    assert result["result"] == reply
    assert result["total_cost_usd"] > 0
    for key, value in compute_usage(prompt, reply).items():
        assert result["usage"][key] == value


def test_prompt_is_recorded_with_system_reminders_stripped(
    run_claude: RunClaude, stub_server: StubServer
) -> None:
    prompt = "first line of a two-line prompt\n@stub text reminder test done"
    run = run_claude(prompt)
    assert run.result["result"] == "reminder test done"
    mine = [body for body in recorded(stub_server) if extract_prompt(body) == prompt]
    assert mine, "the stub did not record the prompt"
    raw = json.dumps(mine[-1]["messages"][0])
    assert "<system-reminder>" in raw  # the CLI sent one, and the stub took it away


def test_write_makes_the_cli_create_the_file(run_claude: RunClaude) -> None:
    probe = run_claude("@stub text where am I")
    target = probe.cwd / "written.txt"  # any absolute path; this one is private to the test
    run = run_claude(f"@stub write {target} written by the real CLI", "--allowedTools", "Write")
    assert run.result["result"] == f"Wrote {target}"
    assert target.read_text() == "written by the real CLI"


def test_bash_output_comes_back_in_the_final_reply(run_claude: RunClaude) -> None:
    run = run_claude("@stub bash python3 -c 'print(6 * 7)' && pwd", "--allowedTools", "Bash")
    result = run.result
    assert result["result"] == f"Tool finished: 42\n{run.cwd}"
    assert result["num_turns"] == 2
    tool_uses = [
        block
        for line in run.lines
        if line["type"] == "assistant"
        for block in line["message"]["content"]
        if block["type"] == "tool_use"
    ]
    assert tool_uses and tool_uses[0]["name"] == "Bash"


@pytest.mark.parametrize("status", [401, 529])
def test_api_error_gives_an_error_result(run_claude: RunClaude, status: int) -> None:
    result = run_claude(f"@stub error {status}").result
    assert result["is_error"] is True
    assert result["api_error_status"] == status
    assert "stub:" in result["result"] or "Invalid API key" in result["result"]


def test_noretry_error_fails_at_once_without_the_retry_setting(run_claude: RunClaude) -> None:
    run = run_claude("@stub error 529 noretry", env={"CLAUDE_CODE_MAX_RETRIES": None})
    assert not [line for line in run.lines if line.get("subtype") == "api_retry"]
    assert run.result["is_error"] is True and run.result["api_error_status"] == 529


def test_malformed_stream_gives_an_error_result(run_claude: RunClaude) -> None:
    result = run_claude("@stub malformed").result
    assert result["is_error"] is True
    assert "malformed" in result["result"]


def test_lines_stream_many_partial_messages(run_claude: RunClaude) -> None:
    run = run_claude("@stub lines 300", "--include-partial-messages")
    deltas = [
        line
        for line in run.lines
        if line["type"] == "stream_event" and line["event"]["type"] == "content_block_delta"
    ]
    assert len(deltas) == 300
    assert run.result["result"].endswith("line 300\n")


def test_lines_can_be_padded_wide(run_claude: RunClaude) -> None:
    run = run_claude("@stub lines 3 5000", "--include-partial-messages")
    assert run.result["result"].splitlines() == [f"line {n}".ljust(5000, ".") for n in (1, 2, 3)]


def test_side_requests_and_plain_json(stub_server: StubServer) -> None:
    url = stub_server.url
    prompt = {"role": "user", "content": "@stub error 401"}
    helper = {"model": "m", "tools": [], "thinking": {"type": "disabled"}, "messages": [prompt]}
    side = httpx.post(f"{url}/v1/messages", json=helper, timeout=5)
    assert side.status_code == 200  # a one-shot helper query: never scripted
    assert side.json()["content"] == [{"type": "text", "text": SIDE_REPLY}]
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    titled = {**helper, "output_config": {"format": {"type": "json_schema", "schema": schema}}}
    title = httpx.post(f"{url}/v1/messages", json=titled, timeout=5).json()["content"][0]["text"]
    assert set(json.loads(title)) == {"title"}
    # An agent with `tools: []` still thinks: a main request, so the directive applies.
    main = {**helper, "thinking": {"type": "adaptive"}}
    failed = httpx.post(f"{url}/v1/messages", json=main, timeout=5)
    assert failed.status_code == 401
    assert failed.json()["error"]["type"] == "authentication_error"
    counted = httpx.post(f"{url}/v1/messages/count_tokens", json=main, timeout=5)
    assert counted.json()["input_tokens"] > 0
    assert httpx.head(f"{url}/api/hello", timeout=5).status_code == 200
    assert httpx.get(f"{url}/_stub/health", timeout=5).json() == {"status": "ok"}
    assert httpx.delete(f"{url}/_stub/requests", timeout=5).status_code == 200
    assert recorded(stub_server) == []
