"""How many threads llama.cpp should use, on a machine other processes share.

llama.cpp splits every matrix product of a decoding step across its threads
and waits for the slowest at a barrier after each operation. When another
CPU-bound process holds one of the cores, the thread that shares that core
runs only part of the time and every barrier waits for it: measured on two
cores, Qwen2.5-0.5B fell from 26 to 1.4-3.5 tok/s with one competing
`while 1: pass` (the other threads spin while they wait, taking time from
the very thread they wait for). Two defaults keep it standing:

- threads = the cores this process may run on (`os.sched_getaffinity`) minus
  the other processes that are running right now (the kernel's count of
  runnable tasks in /proc/loadavg, sampled while our own threads sleep),
  looked at again every few seconds of decoding;
- OpenMP threads that wait passively (`OMP_WAIT_POLICY=PASSIVE`) instead of
  spinning, set before llama.cpp is first loaded unless the user set it.

`n_threads=` in the spec fixes the count and turns the adaptation off.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: how often a long decode looks at the machine's load again
RECHECK_SECONDS = 2.0


def prepare_openmp() -> None:
    """Passive OpenMP waiting for llama.cpp's threads; must run before `llama_cpp` is imported (a user's setting wins)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def runnable_elsewhere(samples: int = 5, interval: float = 0.002) -> int:
    """Tasks running or waiting for a CPU besides the calling thread, the least of a few quick looks (0 where unknown).

    The fourth field of /proc/loadavg counts runnable tasks now (not an
    average), the caller included. The least of several looks ignores
    short blips such as a progress bar redrawing.
    """
    path = Path("/proc/loadavg")
    seen = []
    for i in range(samples):
        try:
            running = int(path.read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        seen.append(running - 1)
        if i + 1 < samples:
            time.sleep(interval)
    return max(0, min(seen))


def auto_threads() -> int:
    """Cores this process may use, less those other processes are using now; at least one."""
    cores = available_cores()
    return max(1, cores - min(cores - 1, runnable_elsewhere()))


class ThreadPolicy:
    """A fixed count (`n_threads=`), or the automatic one, re-read at most every `RECHECK_SECONDS`."""

    def __init__(self, fixed: int | None) -> None:
        self.fixed = fixed
        self._current = fixed  # looked up on first use: constructing a model stays cheap
        self._checked = 0.0

    @property
    def current(self) -> int:
        if self._current is None:
            self.refresh(force=True)
        return self._current or 1

    def refresh(self, force: bool = False) -> bool:
        """Look at the load again if it is time; True when the count changed."""
        if self.fixed is not None:
            return False
        now = time.monotonic()
        if not force and now - self._checked < RECHECK_SECONDS:
            return False
        self._checked = now
        new = auto_threads()
        changed, self._current = new != self._current, new
        return changed
