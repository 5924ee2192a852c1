"""How many threads llama.cpp should use, on a machine other processes share.

llama.cpp splits every matrix product of a decoding step across its threads
and waits for the slowest at a barrier after each operation. When another
CPU-bound process holds one of the cores, the thread that shares that core
runs only part of the time and every barrier waits for it: measured on two
cores, Qwen2.5-0.5B fell from 26 to 1.4-3.5 tok/s with one competing
`while 1: pass` (the other threads spin while they wait, taking time from
the very thread they wait for). Three defaults keep it standing:

- threads = the cores this process may run on (`os.sched_getaffinity`) minus
  the other processes that are running right now (the kernel's count of
  runnable tasks in /proc/loadavg, sampled while our own threads sleep),
  looked at again every few seconds of decoding;
- OpenMP threads that wait passively (`OMP_WAIT_POLICY=PASSIVE`) after a
  short spin (`GOMP_SPINCOUNT`, `DECODE_SPIN`) instead of spinning without
  bound, set before llama.cpp is first loaded unless the user set it; a
  process that trains with torch waits without the spin;
- per decoding step, one thread or all of them, whichever has decoded a step
  of that size faster in this process (`StepTuner`). Without the spin (a
  training process) a small model's single-sequence step is faster on one
  thread of two, its matrices too small to pay for waking a thread at every
  barrier (measured idle: SmolLM2-135M 73 tok/s on one thread, 40 on two;
  Gemma-3-270m 47 and 38; Qwen2.5-0.5B 25.5 and 26); with the spin two
  threads win (SmolLM2 101 tok/s), and wide batched steps want every core.

`n_threads=` in the spec fixes the count and turns the adaptation off.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: how often a long decode looks at the machine's load again
RECHECK_SECONDS = 2.0


#: iterations an OpenMP thread spins in a barrier before it sleeps: llama.cpp meets a barrier after every operation,
#: microseconds apart on a small model, and waking a sleeping thread for each cost SmolLM2-135M two thirds of its
#: speed (measured idle, 2 threads: 37 tok/s passive, 106 with this spin, 112 spinning without bound)
DECODE_SPIN = "10000"


def prepare_openmp() -> None:
    """OpenMP waiting for llama.cpp's threads: passive after a short spin. Must run before `llama_cpp` (or torch)
    first loads libgomp, which reads it once per process; a user's setting, or `prepare_openmp_for_training`'s, wins."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("GOMP_SPINCOUNT", DECODE_SPIN)


def prepare_openmp_for_training() -> None:
    """Passive waiting without the spin, for a process that trains with torch (`distill`, `zoo build`): torch's
    LoRA steps keep two threads on a busy machine, and there the spin costs them (measured beside one competing
    process: 5.6 s a step passive, 8.1 with the spin; benchmarks/omp_wait_policy.py). Call it before anything loads."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("GOMP_SPINCOUNT", "0")


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


def _bucket(tokens: int) -> int:
    """Steps of similar size share a measurement: 1, 2, 3-4, 5-8, 9-16, ... tokens."""
    return max(0, (max(1, tokens) - 1).bit_length())


class StepTuner:
    """Per step size, whether one thread or the policy's count decodes faster here, from timed steps.

    Each option is timed on `TRIALS` steps of a size before the faster one
    (by median) is kept; after `RETRY` further steps of that size the other is
    tried again, since the machine's load moves. ggml splits each operation's
    output rows between threads, so the thread count changes the time of a
    step, never its numbers (tested: greedy answers identical).
    """

    TRIALS = 3
    RETRY = 256

    def __init__(self) -> None:
        self._times: dict[tuple[int, int], list[float]] = {}
        self._since: dict[int, int] = {}  # steps of a size since its options were last compared

    def choose(self, tokens: int, most: int) -> int:
        """Threads for a step of `tokens` tokens, `most` being the policy's count."""
        if most <= 1:
            return 1
        bucket = _bucket(tokens)
        for option in (most, 1):  # each option's first trials, the policy's count first
            if not self._timed(bucket, option):
                return option
        self._since[bucket] = self._since.get(bucket, 0) + 1
        if self._since[bucket] > self.RETRY:  # measure both again: the load may have changed
            self._since[bucket] = 0
            self._times[(bucket, most)], self._times[(bucket, 1)] = [], []
            return most
        return self._faster(bucket, most)

    def record(self, tokens: int, threads: int, seconds: float) -> None:
        times = self._times.setdefault((_bucket(tokens), threads), [])
        if len(times) < self.TRIALS:
            times.append(seconds)

    def single_token_threads(self, most: int) -> int:
        """The count for single-token steps once measured (the single-stream path's decode), else `most`."""
        bucket = _bucket(1)
        if most <= 1 or not (self._timed(bucket, most) and self._timed(bucket, 1)):
            return most
        return self._faster(bucket, most)

    def _timed(self, bucket: int, option: int) -> bool:
        return len(self._times.get((bucket, option), ())) >= self.TRIALS

    def _faster(self, bucket: int, most: int) -> int:
        """The option with the lower median time, both being timed."""
        return min((most, 1), key=lambda option: sorted(self._times[(bucket, option)])[self.TRIALS // 2])
