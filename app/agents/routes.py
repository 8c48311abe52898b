"""HTTP routes for agents and skills."""

from fastapi import APIRouter, Response, status

from app.agents import service
from app.agents.schemas import (
    AgentCreate,
    AgentPublic,
    AgentUpdate,
    SkillCreate,
    SkillPublic,
    SkillUpdate,
)

agents_router = APIRouter(prefix="/api/agents", tags=["agents"])
skills_router = APIRouter(prefix="/api/skills", tags=["skills"])


@agents_router.get("", response_model=list[AgentPublic])
def list_agents() -> list[AgentPublic]:
    return service.list_agents()


@agents_router.get("/{name}", response_model=AgentPublic)
def get_agent(name: str) -> AgentPublic:
    return service.get_agent(name)


@agents_router.post("", status_code=status.HTTP_201_CREATED, response_model=AgentPublic)
def create_agent(body: AgentCreate) -> AgentPublic:
    """Write a custom agent the CLI runs with `--agent NAME`."""
    return service.create_agent(body)


@agents_router.put("/{name}", response_model=AgentPublic)
def update_agent(name: str, body: AgentUpdate) -> AgentPublic:
    return service.update_agent(name, body)


@agents_router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agent(name: str) -> Response:
    service.delete_agent(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@skills_router.get("", response_model=list[SkillPublic])
def list_skills() -> list[SkillPublic]:
    return service.list_skills()


@skills_router.get("/{name}", response_model=SkillPublic)
def get_skill(name: str) -> SkillPublic:
    return service.get_skill(name)


@skills_router.post("", status_code=status.HTTP_201_CREATED, response_model=SkillPublic)
def create_skill(body: SkillCreate) -> SkillPublic:
    return service.create_skill(body)


@skills_router.put("/{name}", response_model=SkillPublic)
def update_skill(name: str, body: SkillUpdate) -> SkillPublic:
    return service.update_skill(name, body)


@skills_router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_skill(name: str) -> Response:
    service.delete_skill(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
