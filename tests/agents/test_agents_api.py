"""Agents and skills through the API: validated, written atomically, honoured by the real CLI."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import Stack

BUILTIN_AGENTS = {
    "brain",
    "planning",
    "executor",
    "service-integrator",
    "self-improvement",
    "agent-creator",
    "skill-creator",
}


def _agent(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Reads files and reports what it found.",
        "model": "sonnet",
        "tools": ["Read", "Grep"],
        "prompt": "You read files. You never write.",
        **overrides,
    }


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _brain_files(stack: Stack) -> set[str]:
    return _files(stack.brain) | {f"custom/{name}" for name in _files(stack.custom)}


def test_builtin_agents_are_listed_with_their_front_matter(stack: Stack) -> None:
    agents = {a["name"]: a for a in stack.client.get("/api/agents").json()}
    assert set(agents) >= BUILTIN_AGENTS
    assert all(agents[name]["builtin"] for name in BUILTIN_AGENTS)
    assert agents["brain"]["model"] == "opus" and "Task" in agents["brain"]["tools"]
    assert "webhook-management" in agents["brain"]["skills"]
    assert agents["executor"]["model"] == "sonnet" and "testing" in agents["executor"]["skills"]
    planning = stack.client.get("/api/agents/planning").json()
    assert "Edit" not in planning["tools"] and "Bash" not in planning["tools"]
    skills = {s["name"]: s for s in stack.client.get("/api/skills").json()}
    for skill in ("webhook-management", "testing", "github-operations", "agent-generator"):
        assert skills[skill]["builtin"] and skills[skill]["description"]


def test_an_agent_created_through_the_api_runs_in_the_real_cli(stack: Stack) -> None:
    builtin_files = _files(stack.brain)
    created = stack.client.post("/api/agents", json=_agent("file-reader"))
    assert created.status_code == 201, created.text
    assert created.json()["builtin"] is False
    assert (stack.custom / ".claude/agents/file-reader.md").is_file()
    assert _files(stack.brain) == builtin_files  # the built-in brain is never written

    task = stack.submit("@stub text hello from file-reader", agent="file-reader")
    done = stack.wait_done(task["id"])
    assert done["status"] == "completed", done
    init = json.loads(stack.output_lines(task["id"])[0]["line"])
    assert init["subtype"] == "init"
    assert "file-reader" in init["agents"]
    assert set(init["tools"]) == {"Read", "Grep"}


def test_custom_agent_update_and_delete_but_builtins_stay(stack: Stack) -> None:
    assert stack.client.post("/api/agents", json=_agent("temp-agent")).status_code == 201
    again = stack.client.post("/api/agents", json=_agent("temp-agent"))
    assert again.status_code == 409

    body = _agent("ignored", tools=["Read"], description="Changed.")
    del body["name"]
    updated = stack.client.put("/api/agents/temp-agent", json=body)
    assert updated.status_code == 200 and updated.json()["tools"] == ["Read"]
    assert stack.client.get("/api/agents/temp-agent").json()["description"] == "Changed."

    assert stack.client.delete("/api/agents/temp-agent").status_code == 204
    assert stack.client.get("/api/agents/temp-agent").status_code == 404
    refused = stack.client.delete("/api/agents/brain")
    assert refused.status_code == 403 and "built-in" in refused.json()["detail"]
    assert stack.client.put("/api/agents/brain", json=body).status_code == 403
    assert stack.client.get("/api/agents/brain").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        _agent("../x"),
        _agent(""),
        _agent("a" * 49),
        _agent("Upper"),
        _agent("ok-name", tools=["Read", "RmRf"]),
        _agent("ok-name", tools=[]),
        _agent("ok-name", model="gpt-4"),
        _agent("ok-name", description=""),
        _agent("ok-name", description="line one\n---\nname: evil"),
        _agent("ok-name", skills=["no-such-skill"]),
        _agent("ok-name", prompt="   "),
        {**_agent("ok-name"), "extra": "field"},
    ],
)
def test_bad_agents_are_refused_and_write_nothing(stack: Stack, body: dict[str, Any]) -> None:
    before = _brain_files(stack)
    response = stack.client.post("/api/agents", json=body)
    assert response.status_code in (400, 404, 422), response.text
    assert response.json()["detail"]
    assert _brain_files(stack) == before


def test_a_builtin_name_cannot_be_taken_by_a_custom_agent(stack: Stack) -> None:
    taken = stack.client.post("/api/agents", json=_agent("planning"))
    assert taken.status_code == 409
    assert not (stack.custom / ".claude/agents/planning.md").exists()


def test_skills_create_use_and_delete(stack: Stack) -> None:
    skill = {"name": "greeting", "description": "How to greet.", "content": "# Greet\nSay hi."}
    assert stack.client.post("/api/skills", json=skill).status_code == 201
    assert stack.client.get("/api/skills/greeting").json()["builtin"] is False
    text = (stack.custom / ".claude/skills/greeting/SKILL.md").read_text()
    assert text.startswith("---\nname: greeting\ndescription: How to greet.\n---")

    user = stack.client.post("/api/agents", json=_agent("greeter", skills=["greeting"]))
    assert user.status_code == 201 and user.json()["skills"] == ["greeting"]
    in_use = stack.client.delete("/api/skills/greeting")
    assert in_use.status_code == 409 and "greeter" in in_use.json()["detail"]
    assert stack.client.delete("/api/agents/greeter").status_code == 204
    assert stack.client.delete("/api/skills/greeting").status_code == 204
    assert not (stack.custom / ".claude/skills/greeting").exists()

    front = {**skill, "content": "---\nname: x\n---\nbody"}
    assert stack.client.post("/api/skills", json=front).status_code == 400
    assert stack.client.delete("/api/skills/testing").status_code == 403


def test_what_get_returns_can_be_sent_back_with_put(stack: Stack) -> None:
    assert stack.client.post("/api/agents", json=_agent("round-trip")).status_code == 201
    agent = stack.client.get("/api/agents/round-trip").json()
    agent["description"] = "Round-tripped."
    updated = stack.client.put("/api/agents/round-trip", json=agent)
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "Round-tripped."
    agent["name"] = "someone-else"
    mismatch = stack.client.put("/api/agents/round-trip", json=agent)
    assert mismatch.status_code == 409 and "URL names" in mismatch.json()["detail"]
