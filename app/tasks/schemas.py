"""API shapes for tasks."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from app.names import MODEL_PATTERN, NAME_PATTERN, SESSION_PATTERN
from app.paging import PageInfo
from app.tasks.models import TaskStatus
from app.workspaces.names import REF_MAX_CHARS, REF_PATTERN, REPOSITORY_PATTERN

MAX_PROMPT_CHARS = 500_000
# Patterns say "not blank" and "one line" with explicit ASCII classes: JSON Schema's `\s`
# (ECMA) and Python's differ on some Unicode spaces, and the schema must mean what we check.
BLANK = " \t\n\r\f\v"
NOT_BLANK_TEXT = rf"^[^\x00]*[^{BLANK}\x00][^\x00]*$"


def _known_agent(name: str) -> str:
    # Refused here, with the other bad input, rather than queued to fail in the CLI later.
    from app.agents.service import agent_exists  # the agents' schemas import this module

    if not agent_exists(name):
        raise ValueError(f"no agent named {name!r}: see GET /api/agents")
    return name


def _a_json_number(value: object) -> object:
    # JSON Schema's number is not "1.5"; pydantic's lax float would take it.
    if isinstance(value, str | bool):
        raise ValueError("must be a number")
    return value


AgentName = Annotated[
    str,
    Field(pattern=NAME_PATTERN, description="Agent in the brain."),
    AfterValidator(_known_agent),
]
BudgetUsd = Annotated[
    float,
    BeforeValidator(_a_json_number),
    Field(
        gt=0,
        allow_inf_nan=False,
        description="Most this run may spend in USD (default: TASK_MAX_BUDGET_USD).",
    ),
]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        description="What to ask.",
        # What the validator below refuses, said in the schema too (no NUL, not blank).
        json_schema_extra={"pattern": NOT_BLANK_TEXT},
    )
    agent: AgentName | None = None
    model: str | None = Field(None, pattern=MODEL_PATTERN, description="Model alias or name.")
    session_id: str | None = Field(
        None, pattern=SESSION_PATTERN, description="Session to count this task in."
    )
    max_turns: int | None = Field(None, ge=1, le=1000, description="Turn limit of this run.")
    max_budget_usd: BudgetUsd | None = None
    repository: str | None = Field(
        None,
        pattern=REPOSITORY_PATTERN,
        description="owner/name: the run works in a git worktree of this repository.",
    )
    ref: str | None = Field(
        None,
        pattern=REF_PATTERN,
        max_length=REF_MAX_CHARS,
        description="Branch, tag, refs/pull/N/head or commit of `repository` (default branch).",
    )

    @model_validator(mode="after")
    def _ref_needs_repository(self) -> "TaskCreate":
        if self.ref is not None and self.repository is None:
            raise ValueError("ref needs a repository")
        return self

    @field_validator("max_turns", mode="before")
    @classmethod
    def _a_json_integer(cls, value: object) -> object:
        # JSON Schema's integer takes 3.0 but not "3"; pydantic's lax int takes both.
        if isinstance(value, str | bool):
            raise ValueError("max_turns must be an integer")
        return value

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip(BLANK):
            raise ValueError("prompt must not be blank")
        if re.search(r"[\x00]", value):
            raise ValueError("prompt must not contain NUL characters")
        return value


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: TaskStatus
    agent: str | None
    model: str | None
    prompt: str
    source: str
    session_id: str
    conversation_id: str | None
    result: str | None
    error: str | None
    cost_usd: float | None
    input_tokens: int | None
    output_tokens: int | None
    cache_creation_tokens: int | None
    cache_read_tokens: int | None
    num_turns: int | None
    max_turns: int | None
    max_budget_usd: float | None
    repository: str | None
    ref: str | None
    duration_ms: int | None
    cli_session_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker_id: str | None


class TaskList(PageInfo):
    items: list[TaskPublic]


class OutputChunk(BaseModel):
    seq: int
    line: str


class TaskOutput(BaseModel):
    task_id: str
    status: TaskStatus
    chunks: list[OutputChunk]
    next_after_seq: int | None = Field(
        description="Pass as `after_seq` for the next page; null on the last one."
    )


class StopResult(BaseModel):
    task_id: str
    status: TaskStatus
    detail: str
