"""Async scheduling of generation across backends, through the store.

For each job (a model and its requests) the runner looks every request up in
the store, sends only what is missing, in batches the backend accepts, under
the endpoint's concurrency and rate limits, retries transient failures with
exponential backoff that honours Retry-After, and commits each answer the
moment it arrives. Failures after the last attempt go to the failures table.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from distillscope.errors import TransientError, UserError
from distillscope.models.base import Model
from distillscope.runner.limits import LimitsRegistry
from distillscope.runner.progress import JobCounts, RunProgress
from distillscope.runner.store import ResponseStore, utc_now
from distillscope.types import Failure, GenerationRequest, Prompt, Response, SamplingParams


def requests_for(prompts: Sequence[Prompt], sampling: SamplingParams) -> list[GenerationRequest]:
    """One request per (prompt, sample index), in prompt order."""
    return [GenerationRequest.from_prompt(p, sampling, i) for p in prompts for i in range(sampling.n)]


def answer_texts(runner: "Runner", model: Model, prompts: Sequence[Prompt], sampling: SamplingParams) -> list[str | None]:
    """The model's answer text per prompt (first sample), generated where the store lacks it; None where it failed."""
    return [r.text if r else None for r in runner.run(model, requests_for(prompts, sampling)).responses]


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
class _Pending:
    request: GenerationRequest
    key: str
    rendered: str
    indices: list[int] = field(default_factory=list)  # positions in the job (duplicates share one call)


@dataclass
class _Plan:
    job: Job
    counts: JobCounts
    responses: list[Response | None]
    pending: list[_Pending] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class Runner:
    def __init__(self, store: ResponseStore, *, show_progress: bool = True, retry: RetryPolicy | None = None) -> None:
        self.store = store
        self.show_progress = show_progress
        self.retry = retry or RetryPolicy()

    def run(self, model: Model, requests: Sequence[GenerationRequest]) -> JobResult:
        return self.run_jobs([Job(model, requests)])[0]

    def run_jobs(self, jobs: Sequence[Job]) -> list[JobResult]:
        return asyncio.run(self.arun(jobs))

    async def arun(self, jobs: Sequence[Job]) -> list[JobResult]:
        plans = [self._plan(job) for job in jobs]
        limits = LimitsRegistry()
        try:
            for plan in plans:
                if plan.pending:
                    # setup problems (no key, no server, no file) fail here, in one line, before any request
                    await plan.job.model.preflight()
            with RunProgress(enabled=self.show_progress) as progress:
                return list(await asyncio.gather(*(self._execute(plan, limits, progress) for plan in plans)))
        finally:
            for job in jobs:
                await job.model.aclose()

    def _plan(self, job: Job) -> "_Plan":
        """Key every request, serve what is stored, and group the rest (duplicates share one call)."""
        model = job.model
        plan = _Plan(job, JobCounts(model=model.identity, total=len(job.requests)), [None] * len(job.requests))
        pending: dict[str, _Pending] = {}
        for index, request in enumerate(job.requests):
            key = model.request_key(request)
            if key not in pending:
                pending[key] = _Pending(request, key, model.rendered_input(request))
            pending[key].indices.append(index)
        for key, response in self.store.get_many(pending).items():
            for index in pending.pop(key).indices:
                plan.responses[index] = response
                plan.counts.cached += 1
        plan.pending = list(pending.values())
        return plan

    async def _execute(self, plan: "_Plan", limits: LimitsRegistry, progress: RunProgress) -> JobResult:
        model, counts = plan.job.model, plan.counts
        progress.add(counts)
        if plan.pending:
            todo = plan.pending
            batches = [todo[i : i + model.batch_size] for i in range(0, len(todo), model.batch_size)]
            endpoint = limits.for_model(model)
            counts.started = time.monotonic()

            async def run_batch(batch: list[_Pending]) -> None:
                async with endpoint.slot():
                    await self._send(model, batch, endpoint, counts, progress, plan.responses, plan.failures)

            await asyncio.gather(*(run_batch(b) for b in batches))
        counts.finished = time.monotonic()
        progress.update(counts)
        return JobResult(model=model.identity, responses=plan.responses, failures=plan.failures, counts=counts)

    async def _send(self, model, batch, endpoint, counts, progress, responses, failures) -> None:  # noqa: ANN001
        requests = [p.request for p in batch]
        estimated = sum(len(p.rendered) // 4 + p.request.sampling.max_tokens for p in batch)

        def on_retry(state: RetryCallState) -> None:
            counts.retries += len(batch)
            counts.retrying += len(batch) if state.attempt_number == 1 else 0
            progress.update(counts)

        attempts = 0
        started = time.monotonic()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.retry.max_attempts),
                wait=self.retry.wait,
                retry=retry_if_exception_type(TransientError),
                before_sleep=on_retry,
                reraise=True,
            ):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    await endpoint.pace(len(batch), estimated)
                    started = time.monotonic()
                    completions = await model.generate(requests)
        except UserError:
            raise
        except Exception as exc:  # recorded, never cached; the run goes on with other requests
            self._fail(model, batch, exc, attempts, counts, failures)
        else:
            latency = (time.monotonic() - started) / len(batch)
            for pending, completion in zip(batch, completions):
                response = Response(
                    key=pending.key,
                    model=model.identity,
                    prompt_id=pending.request.prompt_id,
                    sample_index=pending.request.sample_index,
                    latency_s=round(latency, 4),
                    created_at=utc_now(),
                    sampling=pending.request.sampling.key_fields(),
                    **completion.model_dump(),
                )
                self.store.put(response, pending.request, pending.rendered)
                for index in pending.indices:
                    responses[index] = response
                counts.generated += len(pending.indices)
                counts.completion_tokens += completion.completion_tokens or 0
        finally:
            if attempts > 1:
                counts.retrying -= len(batch)
        progress.update(counts, advance=sum(len(p.indices) for p in batch))

    def _fail(self, model, batch, exc, attempts, counts, failures) -> None:  # noqa: ANN001
        for pending in batch:
            failure = Failure(
                key=pending.key,
                model=model.identity,
                prompt_id=pending.request.prompt_id,
                sample_index=pending.request.sample_index,
                error_type=type(exc).__name__,
                message=str(exc) or repr(exc),
                attempts=max(1, attempts),
                created_at=utc_now(),
            )
            self.store.record_failure(failure)
            failures.append(failure)
            counts.failed += len(pending.indices)
