"""`@agent fix` on a GitHub issue, end to end: a signed webhook → a worktree of the repository
at its default branch → the real CLI on the model stub → the system commits what the run
changed, pushes `agent/<issue>-<short task id>` to the local git server and opens a pull request
on the recording REST API → the reply links it. Also: a run that changed nothing opens nothing,
two runs on two issues at once never see each other's files, and the token stays where it
belongs."""

import base64
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.git_server import GitServer, git
from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs, Recorded
from tests.support.stack import Stack
from tests.workspaces.conftest import (
    FILES,
    GITHUB_TOKEN,
    REPOSITORY,
    data_dir,
    recorded_argv,
    send_comment,
    workspace_of,
)
from tests.workspaces.test_worktrees import tool_results

PULLS = f"/repos/{REPOSITORY}/pulls"


@pytest.fixture(scope="module", autouse=True)
def mention_bot(ws_stack: Stack) -> None:
    response = ws_stack.client.post("/api/webhooks/templates/github-mention-bot")
    assert response.status_code == 200, response.text


def fix(stack: Stack, number: int, directive: str) -> dict[str, Any]:
    """`@agent fix` on issue `number`; the task once it has ended."""
    delivered = send_comment(stack, f"@agent fix\n{directive}", number)
    assert delivered["outcome"] == "processed", delivered
    (task_id,) = delivered["task_ids"]
    return stack.wait_done(task_id, timeout=120)


def reply_holding(apis: ProviderAPIs, number: int, text: str) -> Recorded:
    """The reply on issue `number` (a new comment, or the acknowledgement edited) with `text`."""

    def found() -> Recorded | None:
        for request in apis.requests:
            on_issue = f"/issues/{number}/comments" in request.path or (
                request.method == "PATCH" and "/issues/comments/" in request.path
            )
            if on_issue and text in request.text():
                return request
        return None

    return wait_until(found, 60, what=f"a reply on #{number} holding {text!r}")


def pulls_from(apis: ProviderAPIs, branch_prefix: str) -> list[Recorded]:
    return [
        r
        for r in apis.matching("POST", PULLS)
        if str((r.body or {}).get("head", "")).startswith(branch_prefix)
    ]


def test_agent_fix_pushes_a_branch_with_the_runs_change_and_opens_a_pull_request(
    ws_stack: Stack, git_server: GitServer, apis: ProviderAPIs
) -> None:
    task = fix(ws_stack, 7, "@stub write fix.txt fixed by the agent")
    assert task["status"] == "completed", task["error"]
    assert task["repository"] == REPOSITORY and task["agent"] == "executor"
    branch = f"agent/7-{task['id'][:8]}"
    assert branch in git_server.branches(REPOSITORY)
    files = git_server.branch_files(REPOSITORY, branch)
    # the run's file, the repository's own, and none of the CLI's empty sandbox placeholders
    assert set(files) == {*FILES, "fix.txt"} and files["fix.txt"] == "fixed by the agent"
    bare = git_server.root / f"{REPOSITORY}.git"
    assert git("log", "-1", "--format=%an <%ae>|%cn", branch, cwd=bare) == (
        "Agent Tester <agent-tester@example.com>|Agent Tester"
    )
    assert git("rev-parse", f"{branch}^", cwd=bare) == git("rev-parse", "master", cwd=bare)

    (pull,) = pulls_from(apis, branch)
    assert pull.body["head"] == branch and pull.body["base"] == "master"
    assert "#7" in pull.body["body"] and task["id"] in pull.body["body"]
    assert pull.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    pull_url = f"{apis.url}/github{PULLS}#"
    assert pull_url in task["result"]
    reply_holding(apis, 7, pull_url)
    assert not workspace_of(ws_stack, task["id"]).exists()


def test_a_fix_that_changed_nothing_says_so_and_opens_nothing(
    ws_stack: Stack, git_server: GitServer, apis: ProviderAPIs
) -> None:
    task = fix(ws_stack, 8, "@stub text Nothing needed changing.")
    assert task["status"] == "completed", task["error"]
    assert "changed no files, so no pull request was opened" in task["result"]
    reply_holding(apis, 8, "no pull request was opened")
    assert not [b for b in git_server.branches(REPOSITORY) if b.startswith("agent/8-")]
    assert pulls_from(apis, "agent/8-") == []
    assert not workspace_of(ws_stack, task["id"]).exists()


def test_a_fix_on_a_pull_requests_thread_runs_at_its_head_and_pushes_nothing(
    ws_stack: Stack, git_server: GitServer, apis: ProviderAPIs
) -> None:
    bare = git_server.root / f"{REPOSITORY}.git"
    work = git_server.root / "_work" / REPOSITORY
    git("checkout", "-q", "-B", "contributor", cwd=work)
    (work / "CONTRIBUTED.md").write_text("from a pull request\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "contribution", cwd=work)
    git("push", "-q", str(bare), "HEAD:refs/pull/9/head", cwd=work)
    delivered = send_comment(ws_stack, "@agent fix\n@stub bash cat CONTRIBUTED.md", 9, on_pull=True)
    task = ws_stack.wait_done(delivered["task_ids"][0], timeout=120)
    assert task["status"] == "completed", task["error"]
    assert task["ref"] == "refs/pull/9/head"
    assert "from a pull request" in tool_results(ws_stack, task["id"])
    assert "whose branch the agent did not make are not pushed" in task["result"]
    assert not [b for b in git_server.branches(REPOSITORY) if b.startswith("agent/9-")]
    assert pulls_from(apis, "agent/9-") == []


def test_a_follow_up_fix_on_the_agents_pull_request_pushes_onto_its_branch(
    ws_stack: Stack, git_server: GitServer, apis: ProviderAPIs
) -> None:
    """`@agent fix` on #21 opens a pull request (here #41); `@agent fix` on that pull request's
    conversation runs at its head branch and pushes on top of it: no new branch, no new pull."""
    first = fix(ws_stack, 21, "@stub write first.txt from the first run")
    assert first["status"] == "completed", first["error"]
    branch = f"agent/21-{first['id'][:8]}"
    bare = git_server.root / f"{REPOSITORY}.git"
    first_commit = git("rev-parse", branch, cwd=bare)
    head = {"ref": branch, "sha": first_commit, "repo": {"full_name": REPOSITORY}}
    apis.fail(f"{PULLS}/41", 200, times=1, body={"number": 41, "head": head})  # GET the pull

    delivered = send_comment(ws_stack, "@agent fix\n@stub write second.txt follow-up", 41, True)
    task = ws_stack.wait_done(delivered["task_ids"][0], timeout=120)
    assert task["status"] == "completed", task["error"]
    assert task["ref"] == branch  # its worktree started at the branch's head
    files = git_server.branch_files(REPOSITORY, branch)
    assert set(files) == {*FILES, "first.txt", "second.txt"}
    assert git("rev-parse", f"{branch}^", cwd=bare) == first_commit  # on top, not forced
    assert not [b for b in git_server.branches(REPOSITORY) if b.startswith("agent/41-")]
    assert len(pulls_from(apis, "agent/21-")) == 1 and pulls_from(apis, "agent/41-") == []
    said = f"Pushed these changes to {branch}, the branch of pull request #41."
    assert said in task["result"]
    reply_holding(apis, 41, said)


def test_two_fixes_at_once_on_two_issues_never_see_each_others_files(
    ws_stack: Stack, git_server: GitServer, tool_scratch: Path
) -> None:
    """Each run writes its file, then waits at a barrier until the other has written its own,
    then lists the *.txt files of its working directory: it finds only its own."""

    def directive(mine: int, other: int) -> str:
        # no `&`, `<` or `>`: the prompt frames webhook text as data, escaped as in XML
        script = (
            f"import glob, os, time; b = {str(barrier)!r};"
            f" open('issue-{mine}.txt', 'w').write('{mine}'); open(b + '/{mine}', 'w').close();"
            f" [time.sleep(0.1) for _ in range(600) if not os.path.exists(b + '/{other}')];"
            " print(sorted(glob.glob('*.txt')))"
        )
        return f'@stub bash python3 -c "{script}"'

    barrier = Path(tempfile.mkdtemp(dir=tool_scratch))
    first = send_comment(ws_stack, f"@agent fix\n{directive(11, 12)}", 11)["task_ids"][0]
    second = send_comment(ws_stack, f"@agent fix\n{directive(12, 11)}", 12)["task_ids"][0]
    for task_id, mine, other in ((first, 11, 12), (second, 12, 11)):
        task = ws_stack.wait_done(task_id, timeout=120)
        assert task["status"] == "completed", task["error"]
        listed = tool_results(ws_stack, task_id)
        assert f"issue-{mine}.txt" in listed and f"issue-{other}.txt" not in listed
        files = git_server.branch_files(REPOSITORY, f"agent/{mine}-{task_id[:8]}")
        assert set(files) == {*FILES, f"issue-{mine}.txt"}
    assert (barrier / "11").exists() and (barrier / "12").exists()  # they ran at once


def test_what_a_run_writes_into_the_caches_shared_exclude_file_hides_nothing_it_changed(
    ws_stack: Stack, git_server: GitServer
) -> None:
    """The cache's `info/exclude` applies to every worktree of the repository: a run's tools
    may not write it (the caches are unwritable to runs), and the commit would not read it."""
    exclude = data_dir(ws_stack) / "caches" / f"{REPOSITORY}.git" / "info" / "exclude"
    before = exclude.read_text() if exclude.exists() else ""  # the task's fetch may make it
    script = (
        "open('hidden.txt', 'w').write('seen');"
        f" open({str(exclude)!r}, 'a').write('*.txt' + chr(10))"
    )
    try:
        task = fix(ws_stack, 13, f'@stub bash python3 -c "{script}"')
        assert task["status"] == "completed", task["error"]
        assert "*.txt" not in exclude.read_text()  # the run's write was refused
        assert "Opened a pull request" in task["result"], task["result"]
        files = git_server.branch_files(REPOSITORY, f"agent/13-{task['id'][:8]}")
        assert files.get("hidden.txt") == "seen"
    finally:
        exclude.write_text(before)


def test_the_token_is_in_no_file_under_data_dir_no_argv_and_no_log(
    ws_stack: Stack, git_server: GitServer, argv_log: Path
) -> None:
    """After this module's fetches and pushes: the server got the token (the credential
    helper gave it), and nothing the system wrote or ran holds it."""
    basic = base64.b64encode(f"x-access-token:{GITHUB_TOKEN}".encode()).decode()
    pushes = [r for r in git_server.seen() if r.path.endswith("/git-receive-pack")]
    assert pushes and all(r.authorization == f"Basic {basic}" for r in pushes)
    argv = recorded_argv(argv_log)
    assert any("fetch" in args for args in argv) and any("push" in args for args in argv)
    assert not [args for args in argv if GITHUB_TOKEN in " ".join(args) or basic in " ".join(args)]
    files = [p for p in data_dir(ws_stack).rglob("*") if p.is_file() and not p.is_symlink()]
    assert len(files) > 10
    for path in files:
        content = path.read_bytes()
        assert GITHUB_TOKEN.encode() not in content and basic.encode() not in content, path
    cache = data_dir(ws_stack) / "caches" / f"{REPOSITORY}.git"
    assert git("config", "remote.origin.url", cwd=cache) == f"{git_server.url}/{REPOSITORY}.git"
    logs = list(ws_stack.tmp.glob("*.log"))
    assert logs
    for log in logs:
        assert GITHUB_TOKEN not in log.read_text(errors="replace"), log
