"""The path guard and the name rule, alone: nothing a name says can leave its folder."""

from pathlib import Path

import pytest

from app.agents.files import InvalidDefinition, check_name, inside


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "Upper", "", "a" * 49, "-x", "x\n"])
def test_names_that_could_become_other_paths_are_refused(name: str) -> None:
    with pytest.raises(InvalidDefinition):
        check_name(name, "agent")


@pytest.mark.parametrize("parts", [("..", "x.md"), ("/etc/passwd",), ("a", "..", "..", "b")])
def test_inside_refuses_what_resolves_outside(tmp_path: Path, parts: tuple[str, ...]) -> None:
    with pytest.raises(InvalidDefinition):
        inside(tmp_path / "agents", *parts)


def test_inside_refuses_a_symlink_out(tmp_path: Path) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidDefinition):
        inside(folder, "link", "x.md")


def test_inside_accepts_a_plain_name(tmp_path: Path) -> None:
    assert inside(tmp_path, "reader.md") == (tmp_path / "reader.md").resolve()
