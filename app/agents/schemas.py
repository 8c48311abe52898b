"""API shapes for agents and skills. Every field that becomes front matter is checked here."""

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
MODEL_ALIASES = frozenset({"opus", "sonnet", "haiku", "inherit"})
MODEL_ID = re.compile(r"^claude-[a-z0-9][a-z0-9.-]{1,80}$")
NAME_FIELD = Field(pattern=r"^[a-z][a-z0-9-]{0,47}$", description="lowercase, digits, dashes")


def _one_line(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be empty")
    if "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be a single line")
    return value


class AgentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(max_length=1000, description="When to use this agent (one line).")
    model: str = Field("inherit", description="opus, sonnet, haiku, inherit, or a claude-… id.")
    tools: list[str] = Field(min_length=1, max_length=40, description="Tools the agent may use.")
    skills: list[str] = Field(default_factory=list, max_length=40)
    prompt: str = Field(min_length=1, max_length=100_000, description="The agent's instructions.")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return _one_line(value, "description")

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if value not in MODEL_ALIASES and not MODEL_ID.match(value):
            raise ValueError(
                f"unknown model {value!r}: use opus, sonnet, haiku, inherit or claude-…"
            )
        return value

    @field_validator("tools")
    @classmethod
    def _tools(cls, value: list[str]) -> list[str]:
        unknown = [tool for tool in value if tool not in KNOWN_TOOLS and not MCP_TOOL.match(tool)]
        if unknown:
            raise ValueError(f"unknown tools {unknown}; known: {', '.join(sorted(KNOWN_TOOLS))}")
        return list(dict.fromkeys(value))

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must not be blank")
        return value


class AgentCreate(AgentFields):
    name: str = NAME_FIELD


class AgentUpdate(AgentFields):
    """The new definition. What GET returns may be sent back as it is: `name` and `builtin`
    are accepted and ignored (the name comes from the URL)."""

    name: str | None = None
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
    model_config = ConfigDict(extra="forbid")

    description: str = Field(max_length=1000, description="When to use this skill (one line).")
    content: str = Field(min_length=1, max_length=200_000, description="SKILL.md body (Markdown).")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return _one_line(value, "description")

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("content must not be blank")
        if value.lstrip().startswith("---"):
            raise ValueError("content is the body only: the front matter is written for you")
        return value


class SkillCreate(SkillFields):
    name: str = NAME_FIELD


class SkillUpdate(SkillFields):
    """Like AgentUpdate: GET's answer may be sent back as it is."""

    name: str | None = None
    builtin: bool | None = None


class SkillPublic(BaseModel):
    name: str
    description: str
    builtin: bool
    content: str
