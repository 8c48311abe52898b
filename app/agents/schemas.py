"""API shapes for agents and skills. Every field that becomes front matter is checked here."""

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.names import AGENT_MODEL_PATTERN, NAME_PATTERN
from app.tasks.schemas import BLANK

# Tools of Claude Code 2.1 that an agent may be given (MCP tools go as mcp__SERVER__TOOL).
KNOWN_TOOLS = frozenset(
    [
        "Agent",
        "Bash",
        "BashOutput",
        "Edit",
        "Glob",
        "Grep",
        "KillShell",
        "MultiEdit",
        "NotebookEdit",
        "Read",
        "Skill",
        "Task",
        "TaskCreate",
        "TaskGet",
        "TaskList",
        "TaskStop",
        "TaskUpdate",
        "TodoWrite",
        "WebFetch",
        "WebSearch",
        "Write",
    ]
)
MCP_TOOL = re.compile(r"^mcp__[A-Za-z0-9_-]+(__[A-Za-z0-9_-]+)?$")
NAME_FIELD = Field(pattern=NAME_PATTERN, description="lowercase, digits, dashes")


# The schema says everything the API checks, so a client (or a fuzzer) can know it in advance.
TOOL_PATTERN = rf"^({'|'.join(sorted(KNOWN_TOOLS))}|{MCP_TOOL.pattern[1:-1]})$"
ONE_LINE = rf"^[^\r\n]*[^\r\n{BLANK}][^\r\n]*$"
NOT_BLANK = rf"[^{BLANK}]"
Tool = Annotated[str, Field(pattern=TOOL_PATTERN)]
SkillName = Annotated[str, Field(pattern=NAME_PATTERN)]


class AgentFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    description: str = Field(
        max_length=1000, pattern=ONE_LINE, description="When to use this agent (one line)."
    )
    model: str = Field(
        "inherit",
        pattern=AGENT_MODEL_PATTERN,
        description="opus, sonnet, haiku, inherit, or claude-…",
    )
    tools: list[Tool] = Field(min_length=1, max_length=40, description="Tools the agent may use.")
    skills: list[SkillName] = Field(default_factory=list, max_length=40)
    prompt: str = Field(
        min_length=1, max_length=100_000, pattern=NOT_BLANK, description="Its instructions."
    )

    @field_validator("tools")
    @classmethod
    def _tools(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class AgentCreate(AgentFields):
    name: str = NAME_FIELD


class AgentUpdate(AgentFields):
    """The new definition. What GET returns may be sent back as it is: `name` and `builtin`
    are accepted and ignored (the name comes from the URL)."""

    name: str | None = Field(None, pattern=NAME_PATTERN)
    builtin: bool | None = None


class AgentPublic(BaseModel):
    name: str
    description: str
    model: str | None
    tools: list[str]
    skills: list[str]
    builtin: bool
    prompt: str


class SkillFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    description: str = Field(
        max_length=1000, pattern=ONE_LINE, description="When to use this skill (one line)."
    )
    content: str = Field(
        min_length=1,
        max_length=200_000,
        pattern=NOT_BLANK,
        description="SKILL.md's body (Markdown); the front matter is written for you.",
    )


class SkillCreate(SkillFields):
    name: str = NAME_FIELD


class SkillUpdate(SkillFields):
    """Like AgentUpdate: GET's answer may be sent back as it is."""

    name: str | None = Field(None, pattern=NAME_PATTERN)
    builtin: bool | None = None


class SkillPublic(BaseModel):
    name: str
    description: str
    builtin: bool
    content: str
