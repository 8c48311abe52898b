"""HTTP routes for agents and skills."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.agents import service
from app.agents.schemas import (
    AgentCreate,
    AgentPublic,
    AgentUpdate,
    SkillCreate,
    SkillPublic,
    SkillUpdate,
)
from app.auth import allow_tasks
from app.errors import error_responses
from app.names import NAME_PATTERN

# What an agent or skill request may answer besides success and a 422 for a malformed body.
RESPONSES = error_responses(400, 401, 403, 404, 409, 413)
# A dashboard task may manage agents and skills (the brain's agent-creator does); a webhook
# task may not (TASK_SCOPES in app/auth.py).
agents_router = APIRouter(prefix="/api/agents", tags=["agents"], responses=RESPONSES)
skills_router = APIRouter(prefix="/api/skills", tags=["skills"], responses=RESPONSES)
Name = Annotated[str, Path(pattern=NAME_PATTERN, description="lowercase, digits, dashes")]


@agents_router.get("", response_model=list[AgentPublic])
@allow_tasks("agents")
def list_agents() -> list[AgentPublic]:
    return service.list_agents()


@agents_router.get("/{name}", response_model=AgentPublic)
@allow_tasks("agents")
def get_agent(name: Name) -> AgentPublic:
    return service.get_agent(name)


@agents_router.post("", status_code=status.HTTP_201_CREATED, response_model=AgentPublic)
@allow_tasks("agents")
def create_agent(body: AgentCreate) -> AgentPublic:
    """Write a custom agent the CLI runs with `--agent NAME`."""
    return service.create_agent(body)


@agents_router.put("/{name}", response_model=AgentPublic)
@allow_tasks("agents")
def update_agent(name: Name, body: AgentUpdate) -> AgentPublic:
    return service.update_agent(name, body)


@agents_router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
@allow_tasks("agents")
def delete_agent(name: Name) -> Response:
    service.delete_agent(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@skills_router.get("", response_model=list[SkillPublic])
@allow_tasks("agents")
def list_skills() -> list[SkillPublic]:
    return service.list_skills()


@skills_router.get("/{name}", response_model=SkillPublic)
@allow_tasks("agents")
def get_skill(name: Name) -> SkillPublic:
    return service.get_skill(name)


@skills_router.post("", status_code=status.HTTP_201_CREATED, response_model=SkillPublic)
@allow_tasks("agents")
def create_skill(body: SkillCreate) -> SkillPublic:
    return service.create_skill(body)


@skills_router.put("/{name}", response_model=SkillPublic)
@allow_tasks("agents")
def update_skill(name: Name, body: SkillUpdate) -> SkillPublic:
    return service.update_skill(name, body)


@skills_router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
@allow_tasks("agents")
def delete_skill(name: Name) -> Response:
    service.delete_skill(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
