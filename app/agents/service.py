"""Agents (`.claude/agents/NAME.md`) and skills (`.claude/skills/NAME/SKILL.md`).

Built-ins live in the brain (BRAIN_DIR, in the source tree) and are read-only. Custom ones,
made through the API, live in AGENTS_DIR (under DATA_DIR), laid out the same way; they are
validated in full before a file is written, and written atomically. A custom one never takes a
built-in's name, so a name means one file.
"""

import shutil
from pathlib import Path

from app.agents.files import (
    InvalidDefinition,
    check_name,
    inside,
    parse_markdown,
    render_markdown,
    split_list,
    write_atomically,
)
from app.agents.schemas import (
    AgentCreate,
    AgentFields,
    AgentPublic,
    SkillCreate,
    SkillFields,
    SkillPublic,
)
from app.config import settings
from app.errors import Conflict, DomainError, NotFound


class BuiltinReadOnly(DomainError):
    status_code = 403


def _builtin_root() -> Path:
    return Path(settings.BRAIN_DIR) / ".claude"


def _custom_root() -> Path:
    return Path(settings.AGENTS_DIR) / ".claude"


def agents_dir() -> Path:
    """Where custom agents are written."""
    return _custom_root() / "agents"


def skills_dir() -> Path:
    """Where custom skills are written."""
    return _custom_root() / "skills"


def builtin_agents() -> set[str]:
    return {path.stem for path in (_builtin_root() / "agents").glob("*.md")}


def builtin_skills() -> set[str]:
    return {path.parent.name for path in (_builtin_root() / "skills").glob("*/SKILL.md")}


def _agent_files() -> list[Path]:
    """Every agent's file, built-in first, sorted by name."""
    found = {p.stem: p for p in agents_dir().glob("*.md")}
    found.update({p.stem: p for p in (_builtin_root() / "agents").glob("*.md")})
    return [found[name] for name in sorted(found)]


def _skill_files() -> list[Path]:
    found = {p.parent.name: p for p in skills_dir().glob("*/SKILL.md")}
    found.update({p.parent.name: p for p in (_builtin_root() / "skills").glob("*/SKILL.md")})
    return [found[name] for name in sorted(found)]


def agent_exists(name: str) -> bool:
    """Whether `name` is an agent the CLI can run (a built-in or a custom one)."""
    try:
        return _existing_agent_path(name).is_file()
    except InvalidDefinition:
        return False


# Agents


def _agent_path(name: str) -> Path:
    """Where the custom agent `name` is (or would be) written."""
    return inside(agents_dir(), f"{check_name(name, 'agent')}.md")


def _existing_agent_path(name: str) -> Path:
    builtin = inside(_builtin_root() / "agents", f"{check_name(name, 'agent')}.md")
    return builtin if builtin.is_file() else _agent_path(name)


def _read_agent(path: Path) -> AgentPublic:
    meta, body = parse_markdown(path.read_text(encoding="utf-8"))
    return AgentPublic(
        name=path.stem,
        description=str(meta.get("description", "")),
        model=str(meta["model"]) if meta.get("model") else None,
        tools=split_list(meta.get("tools")),
        skills=split_list(meta.get("skills")),
        builtin=path.stem in builtin_agents(),
        prompt=body.strip(),
    )


def list_agents() -> list[AgentPublic]:
    found = []
    for path in _agent_files():
        try:
            found.append(_read_agent(path))
        except (InvalidDefinition, OSError):
            continue  # a broken file on disk is skipped, not a 500 for everyone
    return found


def get_agent(name: str) -> AgentPublic:
    path = _existing_agent_path(name)
    if not path.is_file():
        raise NotFound(f"Agent {name} not found")
    return _read_agent(path)


def _check_skills_exist(skills: list[str]) -> None:
    missing = [s for s in skills if not _existing_skill_path(s).is_file()]
    if missing:
        raise NotFound(f"Unknown skills {missing}: create them first under /api/skills")


def _write_agent(name: str, fields: AgentFields) -> AgentPublic:
    if getattr(fields, "name", None) not in (None, name):
        raise Conflict(f"The body names {fields.name!r} but the URL names {name!r}")  # type: ignore[attr-defined]
    _check_skills_exist(fields.skills)
    meta: dict[str, object] = {
        "name": name,
        "description": fields.description,
        "tools": ", ".join(fields.tools),
        "model": fields.model,
    }
    if fields.skills:
        meta["skills"] = ", ".join(fields.skills)
    write_atomically(_agent_path(name), render_markdown(meta, fields.prompt))
    return get_agent(name)


def create_agent(agent: AgentCreate) -> AgentPublic:
    if agent.name in builtin_agents() or _agent_path(agent.name).exists():
        raise Conflict(f"Agent {agent.name} already exists")
    return _write_agent(agent.name, agent)


def _refuse_builtin(name: str, kind: str, builtins: set[str], verb: str) -> None:
    if name in builtins:
        raise BuiltinReadOnly(f"{name} is a built-in {kind}; built-ins cannot be {verb}")


def update_agent(name: str, fields: AgentFields) -> AgentPublic:
    get_agent(name)
    _refuse_builtin(name, "agent", builtin_agents(), "changed")
    return _write_agent(name, fields)


def delete_agent(name: str) -> None:
    get_agent(name)
    _refuse_builtin(name, "agent", builtin_agents(), "deleted")
    _agent_path(name).unlink()


# Skills


def _skill_path(name: str) -> Path:
    """Where the custom skill `name` is (or would be) written."""
    return inside(skills_dir(), check_name(name, "skill"), "SKILL.md")


def _existing_skill_path(name: str) -> Path:
    builtin = inside(_builtin_root() / "skills", check_name(name, "skill"), "SKILL.md")
    return builtin if builtin.is_file() else _skill_path(name)


def _read_skill(path: Path) -> SkillPublic:
    meta, body = parse_markdown(path.read_text(encoding="utf-8"))
    name = path.parent.name
    return SkillPublic(
        name=name,
        description=str(meta.get("description", "")),
        builtin=name in builtin_skills(),
        content=body.strip(),
    )


def list_skills() -> list[SkillPublic]:
    found = []
    for path in _skill_files():
        try:
            found.append(_read_skill(path))
        except (InvalidDefinition, OSError):
            continue
    return found


def get_skill(name: str) -> SkillPublic:
    path = _existing_skill_path(name)
    if not path.is_file():
        raise NotFound(f"Skill {name} not found")
    return _read_skill(path)


def _write_skill(name: str, fields: SkillFields) -> SkillPublic:
    if getattr(fields, "name", None) not in (None, name):
        raise Conflict(f"The body names {fields.name!r} but the URL names {name!r}")  # type: ignore[attr-defined]
    if fields.content.lstrip().startswith("---"):
        raise InvalidDefinition("content is the body only: the front matter is written for you")
    meta = {"name": name, "description": fields.description}
    write_atomically(_skill_path(name), render_markdown(meta, fields.content))
    return get_skill(name)


def create_skill(skill: SkillCreate) -> SkillPublic:
    if skill.name in builtin_skills() or _skill_path(skill.name).exists():
        raise Conflict(f"Skill {skill.name} already exists")
    return _write_skill(skill.name, skill)


def update_skill(name: str, fields: SkillFields) -> SkillPublic:
    get_skill(name)
    _refuse_builtin(name, "skill", builtin_skills(), "changed")
    return _write_skill(name, fields)


def delete_skill(name: str) -> None:
    get_skill(name)
    _refuse_builtin(name, "skill", builtin_skills(), "deleted")
    users = [a.name for a in list_agents() if name in a.skills]
    if users:
        raise Conflict(f"Skill {name} is used by agents {users}; change them first")
    shutil.rmtree(_skill_path(name).parent)
