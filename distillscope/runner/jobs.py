"""What the runner is given and what it hands back: jobs, their results, the retry policy.

Also the runner's own bookkeeping for one job (`JobPlan`): which answers the
store already had and which calls are still to make, duplicates sharing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tenacity import RetryCallState, wait_exponential_jitter

from distillscope.models.base import Model
from distillscope.runner.progress import JobCounts
from distillscope.types import Failure, GenerationRequest, Response


@dataclass
class Job:
    model: Model
    requests: Sequence[GenerationRequest]


@dataclass
class JobResult:
    """Answers aligned with the job's requests (None where it failed), plus counts."""

    model: str
    responses: list[Response | None]
    failures: list[Failure]
    counts: JobCounts

    @property
    def complete(self) -> bool:
        return all(r is not None for r in self.responses)


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    initial_wait_s: float = 0.5
    max_wait_s: float = 60.0

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            return min(self.max_wait_s, hint)
        return wait_exponential_jitter(multiplier=self.initial_wait_s, max=self.max_wait_s)(state)


@dataclass
class PendingCall:
    """One request still to send, under its store key; every job position that asked for it."""

    request: GenerationRequest
    key: str
    rendered: str
    indices: list[int] = field(default_factory=list)  # positions in the job (duplicates share one call)


@dataclass
class JobPlan:
    """A job after the store was asked: answers found so far, calls still pending, failures recorded."""

    job: Job
    counts: JobCounts
    responses: list[Response | None]
    pending: list[PendingCall] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
