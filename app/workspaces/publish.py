"""The end of `@agent fix` and `@agent approve`: the system, not the agent, commits what the
run changed in its worktree, pushes it to `agent/<issue number>-<short task id>` and opens a
pull request through GitHub's REST API. A follow-up on that pull request (its run started at
the branch's head) pushes on top of the same branch: the pull request shows it, no new one is
opened. The run never holds the credentials for either.

What the CLI itself leaves in a worktree is not the run's change: with
`CLAUDE_CODE_SUBPROCESS_ENV_SCRUB=1` (2.1.332) it makes empty placeholder files at the root of
its working directory (the files its sandbox masks) and keeps them there after the run. In a
worktree nothing excludes them (the CLI's `.git/info/exclude` block is written only where
`.git` is a directory), so they are left out here: empty, untracked, and one of those names.
"""

from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.tasks.models import Task
from app.webhooks.providers import github
from app.workspaces import git

SCRUB_PLACEHOLDERS = frozenset(
    {
        ".env",
        ".env.local",
        ".env.development",
        ".env.development.local",
        ".env.test",
        ".env.test.local",
        ".env.production",
        ".env.production.local",
        ".gitmodules",
        ".npmrc",
        ".yarnrc",
        ".yarnrc.yml",
        "bunfig.toml",
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    }
)
SCRUB_DIRS = (".claude/.cc-writes/",)
SHORT_ID = 8
BRANCH_PREFIX = "agent/"
PUBLISHING_VERBS = frozenset({"fix", "approve"})


@dataclass(frozen=True)
class Target:
    """Where the change goes: the repository, the issue it answers and the base branch of a
    new pull request; or, for a follow-up, the branch of the open pull request `issue`."""

    repository: str
    issue: int
    base: str
    follow_up_branch: str | None = None


def branch_name(issue: int, task_id: str) -> str:
    return f"{BRANCH_PREFIX}{issue}-{task_id[:SHORT_ID]}"


def placeholders(worktree: Path, untracked: list[str]) -> list[str]:
    """Of the untracked paths, those the CLI made and the run did not."""
    found = []
    for path in untracked:
        if path.startswith(SCRUB_DIRS):
            found.append(path)
        elif path in SCRUB_PLACEHOLDERS:
            try:
                if (worktree / path).stat().st_size == 0:
                    found.append(path)
            except OSError:
                continue
    return found


def _untracked(settings: Settings, worktree: Path) -> list[str]:
    """Files the run added, less what the repository's .gitignore files ignore. Not less what
    the cache's shared `info/exclude` says: every run of the repository could write that."""
    listing = git.run(
        settings, "ls-files", "-z", "--others", "--exclude-per-directory=.gitignore", cwd=worktree
    ).stdout
    return [path for path in listing.split("\0") if path]


def commit(settings: Settings, worktree: Path, message: str) -> bool:
    """Commit every change of the run; False when it changed nothing."""
    untracked = _untracked(settings, worktree)
    skipped = set(placeholders(worktree, untracked))
    added = [path for path in untracked if path not in skipped]
    git.run(settings, "add", "--update", "--", ":/", cwd=worktree)
    if added:
        git.run(
            settings, "add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul",
            cwd=worktree, stdin="\0".join(added), env={"GIT_LITERAL_PATHSPECS": "1"},
        )  # fmt: skip
    staged = git.run(settings, "diff", "--cached", "--quiet", cwd=worktree, check=False)
    if staged.returncode == 0:
        return False
    identity = {
        "GIT_AUTHOR_NAME": settings.GIT_AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": settings.GIT_AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": settings.GIT_AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": settings.GIT_AUTHOR_EMAIL,
    }
    git.run(settings, "commit", "--quiet", "--no-verify", "-m", message, cwd=worktree, env=identity)
    return True


def task_url(settings: Settings, task_id: str) -> str:
    base = settings.AGENT_API_URL or f"http://{settings.API_HOST}:{settings.API_PORT}"
    return f"{base.rstrip('/')}/tasks/{task_id}"


def publish(settings: Settings, task: Task, worktree: Path, target: Target) -> str | None:
    """Commit, push and open the pull request (or push onto the open one, for a follow-up):
    what to tell the person, or None when nothing changed."""
    branch = target.follow_up_branch
    title = f"Agent: follow-up on #{target.issue}" if branch else f"Agent: fix #{target.issue}"
    if not commit(settings, worktree, f"{title}\n\nTask {task.id}"):
        return None
    if branch:  # a fast-forward of the branch the run started at; never forced
        _push(settings, worktree, branch)
        return f"Pushed these changes to {branch}, the branch of pull request #{target.issue}."
    branch = branch_name(target.issue, task.id)
    _push(settings, worktree, branch)
    body = (
        f"Closes #{target.issue}.\n\n"
        f"Made by the agent in task [{task.id}]({task_url(settings, task.id)}), answering"
        f" `{settings.BOT_MENTION}` on #{target.issue}; committed and pushed by the system."
    )
    found = github.open_pull_request(
        target.repository, title=title, head=branch, base=target.base, body=body
    )
    url = found.get("html_url")
    shown = str(url) if url else f"{branch} (pull request #{found.get('number', '?')})"
    return f"Opened a pull request with these changes: {shown}"


def _push(settings: Settings, worktree: Path, branch: str) -> None:
    git.run(
        settings, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}",
        cwd=worktree, remote=True,
    )  # fmt: skip
