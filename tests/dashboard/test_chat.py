"""Chat: a new conversation, a message, the reply streaming in as the CLI writes it, its task
link; rename and delete the conversation."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import sign_in
from tests.support.stack import Stack


def test_send_a_message_and_watch_the_reply_stream_in(
    page: Page, dash: Stack, tmp_path: Path
) -> None:
    sign_in(page, dash)
    page.get_by_role("button", name="New conversation").click()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f]{32}$"))
    conversation_id = page.url.rsplit("/", 1)[1]

    message = page.get_by_label("Message")
    message.fill("Count for me")
    message.press("Shift+Enter")  # a line break, not a send
    message.press_sequentially("@stub slow 4")
    assert message.input_value() == "Count for me\n@stub slow 4"
    message.press("Enter")

    live = page.get_by_label("Reply in progress")
    expect(live).to_contain_text("tick 3", timeout=30_000)  # part of the reply, while it runs
    expect(live.get_by_text("slow reply done")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "streaming.png"))
    reply = page.locator(".message.assistant", has_text="slow reply done")
    expect(reply).to_be_visible(timeout=30_000)
    expect(live).to_have_count(0)

    task_link = reply.get_by_role("link", name=re.compile(r"^Task "))
    task_link.click()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f]{32}$"))
    task = dash.task(page.url.rsplit("/", 1)[1])
    assert task["conversation_id"] == conversation_id
    assert task["status"] == "completed"
    expect(page.locator(".badge")).to_have_text("completed")
    expect(page.get_by_role("log", name="Output log")).to_contain_text("slow reply done")


def test_rename_and_delete_a_conversation(page: Page, dash: Stack) -> None:
    sign_in(page, dash)
    page.get_by_label("Message").fill("Please rename me")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f]{32}$"))
    expect(page.get_by_label("Message")).to_have_value("")  # accepted: the box is cleared
    inbox = page.get_by_role("complementary", name="Conversations")
    expect(inbox.get_by_role("link", name="Please rename me")).to_be_visible()
    expect(page.locator(".message.assistant", has_text="Echo")).to_be_visible(timeout=30_000)

    inbox.get_by_role("button", name="Rename Please rename me").click()
    inbox.get_by_label("Title").fill("Renamed in the browser")
    inbox.get_by_role("button", name="Save").click()
    expect(inbox.get_by_role("link", name="Renamed in the browser")).to_be_visible()
    conversation_id = page.url.rsplit("/", 1)[1]
    assert dash.client.get(f"/api/conversations/{conversation_id}").json()["title"] == (
        "Renamed in the browser"
    )

    inbox.get_by_role("button", name="Delete Renamed in the browser").click()
    inbox.get_by_role("button", name="Delete conversation").click()
    expect(inbox.get_by_role("link", name="Renamed in the browser")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(conversation_id))
    assert dash.client.get(f"/api/conversations/{conversation_id}").status_code == 404


def test_a_tool_call_is_shown_in_one_line_and_expands(page: Page, dash: Stack) -> None:
    sign_in(page, dash)
    page.get_by_label("Message").fill("Run something\n@stub bash echo dashboard-tool-output")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".message.assistant", has_text="Tool finished")
    expect(reply).to_be_visible(timeout=60_000)

    reply.get_by_text("Steps").click()
    tool = reply.locator("details.tool")
    expect(tool.locator("summary")).to_have_text("Bash echo dashboard-tool-output")
    expect(tool.locator(".tool-result")).not_to_be_visible()
    tool.locator("summary").click()
    expect(tool.locator(".tool-result")).to_contain_text("dashboard-tool-output")


def test_the_agent_picked_in_the_composer_runs_the_task(page: Page, dash: Stack) -> None:
    created = dash.client.post(
        "/api/agents",
        json={"name": "picked-agent", "description": "Chosen", "tools": ["Read"], "prompt": "Hi."},
    )
    assert created.status_code == 201, created.text
    sign_in(page, dash)
    page.get_by_label("Agent").select_option("picked-agent")
    page.get_by_label("Message").fill("@stub text picked")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".message.assistant", has_text="picked")
    expect(reply).to_be_visible(timeout=30_000)

    task_id = reply.get_by_role("link", name=re.compile(r"^Task ")).get_attribute("href")
    assert task_id
    task = dash.wait_done(task_id.rsplit("/", 1)[1])
    assert task["agent"] == "picked-agent"
    assert task["status"] == "completed"
