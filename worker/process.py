"""Spawning the CLI in a session of its own, and the stop sequence that leaves nothing behind.

The CLI runs each Bash tool in a session of its own, so a signal to the CLI's process group does
not reach the tools. SIGTERM to the CLI makes it end its tools; SIGKILL leaves them orphaned.
So: note every descendant, SIGTERM the CLI's group, wait a grace period, then SIGKILL the CLI's
group and the group of every descendant. The worker process is a child subreaper, so orphans of
a run are re-parented to it and stay findable and reapable.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO

PR_SET_CHILD_SUBREAPER = 36
SETPRIV = shutil.which("setpriv")


def become_subreaper() -> None:
    """Orphans of our children are re-parented to this process instead of init."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def spawn(
    argv: Sequence[str],
    cwd: str,
    env: Mapping[str, str],
    stderr: IO[bytes],
    stdin_text: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start argv in a new session; it gets SIGTERM when the spawning thread dies (pdeathsig).
    `stdin_text` goes into the pipe at once when it fits (a prompt mostly does), else the rest
    is fed from a thread, so a large one cannot block the caller."""
    prefix = [SETPRIV, "--pdeathsig", "TERM", "--"] if SETPRIV else []
    proc = subprocess.Popen(
        [*prefix, *argv],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL if stdin_text is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
        bufsize=-1,  # buffered: an unbuffered readline reads one byte per system call
    )
    if stdin_text is not None:
        rest = _write_what_fits(proc, stdin_text.encode())
        if rest:
            threading.Thread(target=_feed, args=(proc, rest), daemon=True).start()
    return proc


def _write_what_fits(proc: subprocess.Popen[bytes], data: bytes) -> bytes:
    """Write into the empty pipe what it takes without waiting (64 KiB on Linux): no thread to
    start, and the CLI has its whole prompt as soon as it reads. Returns what is left."""
    assert proc.stdin is not None
    fd = proc.stdin.fileno()
    os.set_blocking(fd, False)
    try:
        written = os.write(fd, data)
    except BlockingIOError:
        written = 0
    except OSError:  # it exited early; its exit and output say why
        written = len(data)
    os.set_blocking(fd, True)
    if written == len(data):
        proc.stdin.close()
        return b""
    return data[written:]


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # it exited early; its exit and output say why


def _children(pid: int) -> list[int]:
    """A process's children: each of its threads lists those it started (and an orphan
    re-parented to a subreaper goes to one of them). Plain os calls: Path.glob cost more than
    the reads, on every run's end."""
    result: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return result
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as listing:
                result.extend(map(int, listing.read().split()))
        except OSError:
            continue
    return result


def descendants(pid: int) -> list[int]:
    """Every live descendant of pid, read from /proc."""
    found: list[int] = []
    stack = _children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(_children(child))
    return found


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _killpg(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def stop_process_tree(proc: subprocess.Popen[bytes], grace_seconds: float) -> None:
    """SIGTERM the CLI's group, wait, then SIGKILL it and every descendant's group."""
    if proc.poll() is None:
        groups = {g for g in map(_pgid, descendants(proc.pid)) if g is not None}
        _killpg(proc.pid, signal.SIGTERM)
        _wait(proc, grace_seconds)
        groups |= {g for g in map(_pgid, descendants(proc.pid)) if g is not None}
        for pgid in {proc.pid, *groups}:
            _killpg(pgid, signal.SIGKILL)
        _wait(proc, 5)


def reap_orphans() -> None:
    """Kill and reap every child of this process: what a finished run left behind, re-parented
    to us, the subreaper. Only for a worker pool process, which runs one task at a time, so
    every child it has left is that run's leftover."""
    for _ in range(3):
        leftovers = [pid for pid in descendants(os.getpid()) if pid != os.getpid()]
        if not leftovers:
            return
        for pid in leftovers:
            pgid = _pgid(pid)
            if pgid is not None and pgid != os.getpgid(0):
                _killpg(pgid, signal.SIGKILL)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 2
        for pid in _children(os.getpid()):
            while time.monotonic() < deadline:
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if done:
                    break
                time.sleep(0.01)
