"""The live progress bar and the end-of-run summary.

Counts are what a user needs to trust a long run: how much came from the
store, how much failed, how much is waiting out a rate limit, and how fast new
tokens arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table


@dataclass
class JobCounts:
    model: str
    total: int = 0
    cached: int = 0
    generated: int = 0
    failed: int = 0
    retrying: int = 0
    retries: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "total": self.total,
            "cached": self.cached,
            "generated": self.generated,
            "failed": self.failed,
            "retries": self.retries,
            "completion_tokens": self.completion_tokens,
            "elapsed_s": round(self.elapsed_s, 3),
            "tokens_per_s": round(self.tokens_per_s, 2),
        }


class RunProgress:
    """A rich progress bar per job; silent when disabled (tests, pipes)."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cached {task.fields[cached]} · failed {task.fields[failed]} · retrying {task.fields[retrying]}"),
            TextColumn("{task.fields[tps]:.1f} tok/s"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[int, TaskID] = {}

    def __enter__(self) -> "RunProgress":
        self._progress.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.__exit__(kind, exc, tb)

    def add(self, counts: JobCounts) -> None:
        # Cached answers are counted as done from the start so the ETA reflects only new work.
        self._tasks[id(counts)] = self._progress.add_task(counts.model, total=counts.total, completed=counts.cached, **self._fields(counts))

    def update(self, counts: JobCounts, advance: int = 0) -> None:
        task = self._tasks.get(id(counts))
        if task is not None:
            self._progress.update(task, advance=advance, **self._fields(counts))

    @staticmethod
    def _fields(counts: JobCounts) -> dict:
        return {"cached": counts.cached, "failed": counts.failed, "retrying": counts.retrying, "tps": counts.tokens_per_s}


def summary_table(jobs: list[JobCounts]) -> Table:
    from rich import box

    # fits 80 columns: no vertical rules, and the model name folds instead of pushing columns off screen
    table = Table(title="generation summary", show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("model", overflow="fold", min_width=10, ratio=1)
    for column in ("total", "cached", "new", "failed", "retries", "tokens", "tok/s", "time"):
        table.add_column(column, justify="right")
    for job in jobs:
        table.add_row(
            job.model,
            str(job.total),
            str(job.cached),
            str(job.generated),
            f"[red]{job.failed}[/red]" if job.failed else "0",
            str(job.retries),
            str(job.completion_tokens),
            f"{job.tokens_per_s:.1f}",
            f"{job.elapsed_s:.1f}s",
        )
    return table
