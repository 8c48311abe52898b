"""Helper threads a pool process keeps from one run to the next.

Every run needs three beside its reading loop (the output's drainer, the line saver, the
watchdog). Starting a thread and waiting for it to run cost ~0.4 ms each on a loaded pool
process, more than the rest of a short run's bookkeeping; handing a job to a thread that waits
for one costs a queue put. The threads are daemons, as the ones started per run were: a drainer
blocked on a pipe that a leftover holds open never keeps the process from exiting.
"""

import contextvars
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from loguru import logger


@dataclass
class Job:
    target: Callable[..., object]
    args: tuple[object, ...]
    name: str
    # the caller's context variables: the lines a job logs carry the run's task_id and agent
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    done: threading.Event = field(default_factory=threading.Event)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job to end; whether it has."""
        return self.done.wait(timeout)

    def is_alive(self) -> bool:
        return not self.done.is_set()


_lock = threading.Lock()
_idle: list["queue.SimpleQueue[Job]"] = []  # the inboxes of the threads that wait for a job


def start(target: Callable[..., object], *args: object, name: str) -> Job:
    """Run target(*args) on an idle helper thread, or on a new one when none is idle."""
    job = Job(target, args, name)
    with _lock:
        inbox = _idle.pop() if _idle else None
    if inbox is None:
        inbox = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(inbox,), name=name, daemon=True).start()
    inbox.put(job)
    return job


def _serve(inbox: "queue.SimpleQueue[Job]") -> None:
    me = threading.current_thread()
    while True:
        job = inbox.get()
        me.name = job.name
        try:
            job.context.run(job.target, *job.args)
        except Exception:
            logger.exception("helper thread {} failed", job.name)
        finally:
            me.name = "helper (idle)"
            with _lock:  # idle again before the job says it ended: the next run finds it
                _idle.append(inbox)
            job.done.set()
