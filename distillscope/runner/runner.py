"""Async scheduling of generation across backends, through the store.

For each job (a model and its requests) the runner looks every request up in
the store, sends only what is missing, in batches the backend accepts, under
the endpoint's concurrency and rate limits, retries transient failures with
exponential backoff that honours Retry-After, and commits each answer the
moment it arrives. Failures after the last attempt go to the failures table.
Only what a backend classifies is retried or recorded: a rejected key stops
the run, and a bug surfaces with its traceback instead of becoming a
"failure" that every later run retries. What a job and its result are lives
in `jobs.py`; what happens to one batch once its turn comes (cost, pace,
retries, storing) in `batch.py`; the per-prompt answer shortcuts
(`answer_texts`, over a Runner) in `answers.py`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Sequence

from distillscope.errors import UserError
from distillscope.models.base import Model, SharedResources
from distillscope.runner.batch import BatchSender
from distillscope.runner.cost import CostMeter
from distillscope.runner.event_loop import LoopThread, gather_all
from distillscope.runner.jobs import Job, JobPlan, JobResult, PendingCall, RetryPolicy, refuse_greedy_resamples, warn_large_inputs
from distillscope.runner.limits import LimitsRegistry
from distillscope.runner.progress import JobCounts, RunProgress
from distillscope.runner.store import ResponseStore
from distillscope.runner.store.leases import Leases
from distillscope.types import GenerationRequest

__all__ = ["Job", "JobResult", "RetryPolicy", "Runner"]


class Runner:
    """Runs jobs through the store; lives as long as the work it serves.

    For its whole life a runner owns one event loop (on a thread of its own,
    so `run` also works where a loop is already running, as in Jupyter), the
    per-endpoint concurrency and rate limits, the backends' clients and
    replica health, and which endpoints passed their preflight. So the pace
    holds and `/models` is asked once across the many `run` calls of an ICE
    iteration or an audit. `close()` (or `with Runner(...)`) releases them;
    garbage collection and interpreter exit do too.

    `refresh=True` regenerates every answer once in this runner's life and
    overwrites the stored one (`generate --refresh`); later requests for the
    same key in the same runner are served from the store again.
    """

    def __init__(
        self,
        store: ResponseStore,
        *,
        show_progress: bool = True,
        retry: RetryPolicy | None = None,
        refresh: bool = False,
        cost: CostMeter | None = None,
    ) -> None:
        self.store = store
        self.cost = cost or CostMeter()  # paid vs cached queries, tokens and money per model; --max-cost
        self.show_progress = show_progress
        self.retry = retry or RetryPolicy()
        self.refresh = refresh
        self.resources = SharedResources()
        self._loop = LoopThread()
        self._limits = LimitsRegistry()
        self._preflighted: set[str] = set()
        self._refreshed: set[str] = set()
        self._leases = Leases(store)
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self.resources, self._leases)

    def close(self) -> None:
        """Close the backends' clients and stop the runner's event loop."""
        self._finalizer()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, model: Model, requests: Sequence[GenerationRequest]) -> JobResult:
        return self.run_jobs([Job(model, requests)])[0]

    def run_jobs(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Blocking; callable from any thread, including one whose event loop is running."""
        self._leases.begin()
        try:
            return self._loop.run(self._arun(jobs))
        finally:
            self._leases.end()

    async def arun(self, jobs: Sequence[Job]) -> list[JobResult]:
        """`run_jobs` for async callers: awaits the work done on the runner's loop."""
        self._leases.begin()
        try:
            return await self._loop.run_async(self._arun(jobs))
        finally:
            self._leases.end()

    async def _arun(self, jobs: Sequence[Job]) -> list[JobResult]:
        for job in jobs:
            refuse_greedy_resamples(job.model, job.requests)
        plans = [self._plan(job) for job in jobs]
        missing = sum(len(plan.pending) for plan in plans)
        if missing and getattr(self.store, "read_only", False):  # refused before anything is paid for, not after
            raise UserError(
                f"the response store {self.store.path} is read-only and {missing} request(s) have no stored answer",
                "make the store writable, or copy it somewhere writable and pass --store COPY",
            )
        for plan in plans:
            model = plan.job.model
            model.attach(self.resources)
            if plan.pending and model.preflight_key not in self._preflighted:
                # setup problems (no key, no server, no file) fail here, in one line, before any request
                await model.preflight()
                self._preflighted.add(model.preflight_key)
        stop = asyncio.Event()  # set by the first error that ends the run, so no further request goes out
        try:
            with RunProgress(enabled=self.show_progress) as progress:
                results = await gather_all(self._execute(plan, progress, stop) for plan in plans)
        finally:
            # however the run ends (error, Ctrl-C), every answer received is in the store before it returns
            await self.store.aflush()
        if self.cost.stopped:  # batches over the cost limit were not sent; everything that was sent is stored
            raise self.cost.stopped
        return results

    def _plan(self, job: Job) -> JobPlan:
        """Key every request, serve what is stored, and group the rest (duplicates share one call)."""
        model = job.model
        plan = JobPlan(job, JobCounts(model=model.identity, total=len(job.requests)), [None] * len(job.requests))
        pending: dict[str, PendingCall] = {}
        for index, (request, key) in enumerate(zip(job.requests, model.request_keys(job.requests))):
            if key not in pending:
                pending[key] = PendingCall(request, key, model.rendered_input(request))
            pending[key].indices.append(index)
        stored = self.store.get_many(pending)
        if self.refresh:
            stored = {key: response for key, response in stored.items() if key in self._refreshed}
        for key, response in stored.items():
            for index in pending.pop(key).indices:
                plan.responses[index] = response
                plan.counts.cached += 1
        plan.pending = list(pending.values())
        warn_large_inputs(model.identity, plan.pending)
        self.cost.record_cached(model.identity, plan.counts.cached)
        return plan

    async def _execute(self, plan: JobPlan, progress: RunProgress, stop: asyncio.Event) -> JobResult:
        model, counts = plan.job.model, plan.counts
        progress.add(counts)
        if plan.pending:
            endpoint = self._limits.for_model(model)
            endpoint.breaker.rearm()
            counts.started = time.monotonic()
            calls = {call.key: call for call in plan.pending}
            check_answered = not self.refresh
            sender = BatchSender(self.store, self.cost, self.retry, self.refresh, self._refreshed)

            async def run_batch(batch: list[PendingCall]) -> None:
                # leased in the store when its turn comes: a request another process is paying for is waited for
                # (outside the slot) and read from the store, never paid again; two processes share the work
                async with endpoint.slot():
                    if stop.is_set():
                        return
                    leased = await self._leases.acquire([call.key for call in batch], check_answered=check_answered)
                    self._serve_stored(plan, [calls[key] for key in leased.answered], progress)
                    try:
                        if leased.taken:
                            mine = [calls[key] for key in leased.taken]
                            await sender.send(model, mine, endpoint, counts, progress, plan.responses, plan.failures, stop)
                    except BaseException:
                        stop.set()
                        raise
                    finally:  # the answer (or failure) is stored: nobody needs to wait for this process any more
                        await self._leases.release(leased.taken)
                if leased.busy:
                    await wait_for_others(leased.busy)

            async def wait_for_others(keys: list[str]) -> None:
                async for outcome in self._leases.wait_for_others(keys, check_answered=check_answered):
                    self._serve_stored(plan, [calls[key] for key in outcome.answered], progress)
                    try:  # its owner died or its lease expired: ours now, sent like any other
                        await send([calls[key] for key in outcome.taken])
                    finally:
                        await self._leases.release(outcome.taken)

            async def send(todo: list[PendingCall]) -> None:
                await gather_all(run_batch(todo[i : i + model.batch_size]) for i in range(0, len(todo), model.batch_size))

            renewing = asyncio.ensure_future(self._leases.renew_forever())
            try:
                await send(plan.pending)
            finally:
                renewing.cancel()
                # a run ended early (circuit breaker, an error, Ctrl-C) hands back the leases of what it never sent,
                # so a re-run in this same process does not wait for them to expire
                await asyncio.shield(self._leases.release(list(calls)))
        counts.finished = time.monotonic()
        progress.update(counts)
        return JobResult(model=model.identity, responses=plan.responses, failures=plan.failures, counts=counts)

    def _serve_stored(self, plan: JobPlan, calls: list[PendingCall], progress: RunProgress) -> None:
        """Answers another process stored while this one planned or waited: served as cached."""
        found = self.store.get_many([call.key for call in calls])
        served = 0
        for call in calls:
            if call.key in found:
                for index in call.indices:
                    plan.responses[index] = found[call.key]
                served += len(call.indices)
        plan.counts.cached += served
        self.cost.record_cached(plan.job.model.identity, served)
        progress.update(plan.counts, advance=served)


def _shutdown(loop: LoopThread, resources: SharedResources, leases: Leases) -> None:
    """Close the runner's clients on its loop, then stop the loop (must not refer to the runner); its leases are no longer live."""
    leases.close()
    loop.close(resources.aclose())
