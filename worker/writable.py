"""Where the pinned CLI's tool sandbox lets Bash write, measured on 2.1.332 (docs/workspaces.md).

With CLAUDE_CODE_SUBPROCESS_ENV_SCRUB=1 each Bash tool runs under bwrap with `/` read-only but
these top-level directories bound writable (as root and as an ordinary user alike), besides the
working directory and the `--add-dir` ones. Two things follow for a working directory below one
of them: the CLI guards every directory above it by binding `.claude` and `.mcp.json` there,
making missing ones on the host as mount points and deleting them after the tool, so a second
run's tool starting meanwhile fails ("bwrap: Can't find source path …/.mcp.json": 2 of 18 with
six at once under /root, 0 of 18 under /work); and whatever else lives below them (a home, a
source tree) is writable to every run's tools unless the settings deny it (worker/confinement.py).

No imports: the tests read this before anything of the system is loaded (tests/conftest.py).
"""

from pathlib import Path

SANDBOX_WRITABLE = tuple(
    Path(top) for top in ("/home", "/root", "/tmp", "/var", "/opt", "/run", "/mnt")
)


def writable_top(path: Path) -> Path | None:
    """The sandbox-writable top-level directory `path` lies in, if any."""
    resolved = path.resolve()
    for top in SANDBOX_WRITABLE:
        if resolved == top or top in resolved.parents:
            return top
    return None
