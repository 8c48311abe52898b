"""Reading and writing the brain's Markdown files: front matter, strict names, atomic writes.

Nothing is ever written outside AGENTS_DIR: names match a strict pattern, and every path is
resolved and checked to sit under its folder before anything touches the disk.
"""

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from app.errors import DomainError
from app.names import NAME_PATTERN, matches

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.DOTALL)


class InvalidDefinition(DomainError):
    """A definition that passed the schema but cannot be written (a 400, not a 422: its detail
    is a sentence, not a list of field errors)."""

    status_code = 400


def check_name(name: str, kind: str) -> str:
    if not matches(NAME_PATTERN, name):
        raise InvalidDefinition(
            f"Invalid {kind} name {name!r}: use 1-48 lowercase letters, digits and dashes,"
            " starting with a letter"
        )
    return name


def inside(folder: Path, *parts: str) -> Path:
    """folder/parts, refused if it would resolve anywhere outside folder."""
    path = folder.joinpath(*parts).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise InvalidDefinition("That name would leave the brain's folder")
    return path


def parse_markdown(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Markdown file that starts with a `---` YAML block."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise InvalidDefinition("The file has no front matter block between '---' lines")
    try:
        meta = yaml.safe_load(match[1])
    except yaml.YAMLError as error:
        raise InvalidDefinition(f"The front matter is not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise InvalidDefinition("The front matter must be a mapping of fields")
    return meta, match[2]


def render_markdown(meta: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000).strip()
    return f"---\n{front}\n---\n\n{body.strip()}\n"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def split_list(value: Any) -> list[str]:
    """A front matter list, written either as YAML list or as a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value]
    raise InvalidDefinition(f"Expected a list or a comma-separated string, got {value!r}")
