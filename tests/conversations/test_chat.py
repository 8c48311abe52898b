"""Chat: messages in a conversation, the conversation as context, replies linked to tasks."""

import uuid
from typing import Any

import httpx

from tests.support.stack import Stack


def _chat(stack: Stack, message: str, **fields: Any) -> dict[str, Any]:
    response = stack.client.post("/api/chat", json={"message": message, **fields})
    assert response.status_code == 202, response.text
    accepted = dict(response.json())
    stack.wait_done(accepted["task_id"])
    return accepted


def _messages(stack: Stack, conversation_id: str) -> list[dict[str, Any]]:
    response = stack.client.get(
        f"/api/conversations/{conversation_id}/messages", params={"limit": 200}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_second_run_sees_the_first_exchange(stack: Stack) -> None:
    first = _chat(stack, "My name is Ada.\n@stub text Nice to meet you, Ada.")
    conversation = first["conversation_id"]
    second = _chat(stack, "What is my name?", conversation_id=conversation)
    assert second["conversation_id"] == conversation

    prompt = stack.task(second["task_id"])["prompt"]
    assert "<conversation_history>" in prompt
    assert '<message role="user">\nMy name is Ada.' in prompt
    assert '<message role="assistant">\nNice to meet you, Ada.\n</message>' in prompt
    assert prompt.endswith("<latest_message>\nWhat is my name?\n</latest_message>")

    messages = _messages(stack, conversation)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1]["content"] == "Nice to meet you, Ada."
    assert messages[1]["task_id"] == first["task_id"] == messages[0]["task_id"]
    assert messages[0]["id"] == first["message_id"]


def test_context_holds_exactly_the_last_twenty_messages(stack: Stack) -> None:
    conversation = _chat(stack, "message 1\n@stub text reply 1")["conversation_id"]
    for n in range(2, 12):
        _chat(stack, f"message {n}\n@stub text reply {n}", conversation_id=conversation)
    assert len(_messages(stack, conversation)) == 22

    last = _chat(stack, "message 12\n@stub text reply 12", conversation_id=conversation)
    prompt = stack.task(last["task_id"])["prompt"]
    history = prompt.split("<conversation_history>")[1].split("</conversation_history>")[0]
    assert history.count("<message role=") == 20
    assert "message 1\n" not in history and "reply 1\n" not in history
    assert "message 2\n" in history and "reply 11\n" in history


def test_reply_and_cost_land_on_conversation_and_session(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    accepted = _chat(stack, "Count the cost\n@stub text counted", session_id=session)
    task = stack.task(accepted["task_id"])
    assert task["cost_usd"] > 0 and task["source"] == "chat"

    reply = _messages(stack, accepted["conversation_id"])[-1]
    assert reply["role"] == "assistant" and reply["cost_usd"] == task["cost_usd"]
    conversation = stack.client.get(f"/api/conversations/{accepted['conversation_id']}").json()
    assert conversation["title"] == "Count the cost"
    assert conversation["total_cost_usd"] == task["cost_usd"]
    totals = stack.client.get(f"/api/sessions/{session}").json()
    assert totals["total_cost_usd"] == task["cost_usd"] and totals["task_count"] == 1
    assert totals["active_tasks"] == []


def test_a_failed_run_says_what_went_wrong_in_the_conversation(stack: Stack) -> None:
    accepted = _chat(stack, "@stub error 401")
    reply = _messages(stack, accepted["conversation_id"])[-1]
    assert reply["role"] == "assistant"
    assert reply["content"].startswith("This request failed: ")
    assert reply["task_id"] == accepted["task_id"]


def test_conversations_list_rename_and_delete(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    older = _chat(stack, "older\n@stub text a", session_id=session)["conversation_id"]
    newer = _chat(stack, "newer\n@stub text b", session_id=session)["conversation_id"]
    listed = stack.client.get("/api/conversations", params={"session_id": session}).json()
    assert [c["id"] for c in listed["items"]] == [newer, older]

    _chat(stack, "bump\n@stub text c", conversation_id=older)
    listed = stack.client.get("/api/conversations", params={"session_id": session}).json()
    assert [c["id"] for c in listed["items"]] == [older, newer]

    renamed = stack.client.patch(f"/api/conversations/{older}", json={"title": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"

    task_ids = [m["task_id"] for m in _messages(stack, older)]
    assert stack.client.delete(f"/api/conversations/{older}").status_code == 204
    assert stack.client.get(f"/api/conversations/{older}").status_code == 404
    assert stack.client.get(f"/api/conversations/{older}/messages").status_code == 404
    for task_id in task_ids:
        assert stack.task(task_id)["conversation_id"] == older
        assert stack.output_lines(task_id), "the task's log stays readable"


def test_chat_bad_input(stack: Stack) -> None:
    cases = [
        ({"message": ""}, 422),
        ({"message": "x", "conversation_id": "missing"}, 404),
        ({"message": "x", "agent": "../x"}, 422),
        ({"text": "x"}, 422),
    ]
    for body, expected in cases:
        response = stack.client.post("/api/chat", json=body)
        assert response.status_code == expected, (body, response.text)
        assert response.json()["detail"]
    with httpx.Client(base_url=str(stack.client.base_url)) as anonymous:
        assert anonymous.post("/api/chat", json={"message": "x"}).status_code == 401
