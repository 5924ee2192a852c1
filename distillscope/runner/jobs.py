"""What the runner is given and what it hands back: jobs, their results, the retry policy.

Also the runner's own bookkeeping for one job (`JobPlan`): which answers the
store already had and which calls are still to make, duplicates sharing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tenacity import RetryCallState, wait_exponential_jitter

from distillscope.models.base import ConnectionFailure, Model
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
    #: the longest wait before retrying a request that could not connect at all: backing off for a minute helps
    #: an overloaded server, not a dead one, and the circuit breaker (not the wait) decides when to give up
    connection_max_wait_s: float = 1.0

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            return min(self.max_wait_s, hint)
        longest = self.connection_max_wait_s if isinstance(exc, ConnectionFailure) else self.max_wait_s
        return wait_exponential_jitter(multiplier=self.initial_wait_s, max=longest)(state)


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


def refuse_greedy_resamples(model: Model, requests: Sequence[GenerationRequest]) -> None:
    """Refuse a second sample of a prompt at temperature 0: greedy decoding gives the same answer, paid again.

    Refused rather than served once and copied: a user asking for several samples means to measure
    variation, and copies would shrink every confidence interval built on them without a word. A backend
    whose samples are its own (`replays_samples`: a replay file's epochs) is asked for them as they are.
    """
    if getattr(model, "replays_samples", False):
        return
    for request in requests:
        if request.sample_index > 0 and request.sampling.temperature == 0:
            from distillscope.errors import UserError

            raise UserError(
                "--samples > 1 at temperature 0 would pay again for the same greedy answer to every prompt",
                "pass --temperature above 0 (e.g. --temperature 0.7) to draw different samples, or use --samples 1",
            )


#: a rendered input above this many bytes is sent as is, with a warning: it is most likely a file pasted by mistake
LARGE_PROMPT_BYTES = 1_000_000


def warn_large_inputs(model: str, calls: Sequence[PendingCall]) -> None:
    """One warning line per input above `LARGE_PROMPT_BYTES` (it is sent as given and stored once)."""
    import logging

    for call in calls:
        if len(call.rendered) * 4 > LARGE_PROMPT_BYTES and (size := len(call.rendered.encode("utf-8"))) > LARGE_PROMPT_BYTES:
            logging.getLogger("distillscope").warning(
                f"warning: prompt {call.request.prompt_id} to {model} is {size / 1e6:.1f} MB (over {LARGE_PROMPT_BYTES / 1e6:g} MB): "
                "sent as given and stored once; check that a file was not pasted into it by mistake"
            )
