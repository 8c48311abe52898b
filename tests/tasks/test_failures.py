"""Model API errors, a missing CLI: the task fails with a reason, and the worker keeps serving."""

import pytest

from tests.support.stack import Stack


@pytest.mark.parametrize(("status", "words"), [(401, "key"), (529, "overload")])
def test_model_api_error_fails_the_task_with_the_reason(
    stack: Stack, status: int, words: str
) -> None:
    task = stack.submit(f"@stub error {status}")
    done = stack.wait_done(task["id"], timeout=120)
    assert done["status"] == "failed", done
    assert words in done["error"].lower(), done["error"]

    after = stack.submit("@stub text still serving")
    assert stack.wait_done(after["id"])["result"] == "still serving"


def test_missing_cli_fails_the_task_and_the_worker_stays_up(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack = make_stack(CLAUDE_CLI_PATH="/nonexistent/claude")
    stack.start_api()
    worker = stack.start_worker()
    first = stack.wait_done(stack.submit("hello")["id"])
    assert first["status"] == "failed"
    assert "Claude Code CLI not found" in first["error"] and "/nonexistent/claude" in first["error"]
    second = stack.wait_done(stack.submit("hello again")["id"])
    assert second["status"] == "failed" and worker.alive()
