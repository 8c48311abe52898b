"""The whole machine's CPU time (every process and the kernel), read from /proc/stat by psutil,
and a sampler that can say how much of it a window of wall-clock time took."""

import bisect
import threading
import time
from types import TracebackType

import psutil

SAMPLE_SECONDS = 0.01


def machine_cpu_seconds() -> float:
    """CPU time the machine has spent busy since boot, over all cores."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class CpuSampler:
    """Notes (time.time(), machine_cpu_seconds()) every SAMPLE_SECONDS from a thread, so the
    CPU of a window known only afterwards (first submit → last completion) can be read off."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), machine_cpu_seconds()))
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "CpuSampler":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.time(), machine_cpu_seconds()))

    def _at(self, when: float) -> float:
        """The machine's CPU seconds at `when`, interpolated between the samples around it."""
        times = [at for at, _ in self.samples]
        index = min(max(bisect.bisect_left(times, when), 1), len(times) - 1)
        (t0, c0), (t1, c1) = self.samples[index - 1], self.samples[index]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)

    def between(self, start: float, end: float) -> float:
        return self._at(end) - self._at(start)
