"""Sending one batch of a job: paced, retried, and stored the moment it arrives.

Split from `runner.py`, which plans jobs, leases their requests and schedules
batches; this module is what happens to one batch once its turn comes: the
cost limit is reserved, the endpoint's pace and circuit breaker are honoured,
transient failures are retried with the runner's policy, and every answer (or
final failure) is handed to the store before the batch counts as done.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from distillscope.errors import GenerationError, TransientError
from distillscope.models.base import ConnectionFailure, Model
from distillscope.runner.cost import CostLimitReached, CostMeter
from distillscope.runner.jobs import PendingCall, RetryPolicy
from distillscope.runner.limits import EndpointLimits
from distillscope.runner.progress import JobCounts, RunProgress
from distillscope.runner.store import ResponseStore
from distillscope.runner.store.rows import utc_now
from distillscope.secrets import redact
from distillscope.types import Completion, Failure, GenerationRequest, Response


@dataclass
class BatchSender:
    """The runner's state one batch needs: where answers go, what they cost, how often to retry.

    `refreshed` is the runner's own set (shared, not copied): with `refresh`,
    each key sent is added to it, so the runner serves it from the store again.
    """

    store: ResponseStore
    cost: CostMeter
    retry: RetryPolicy
    refresh: bool
    refreshed: set[str]

    async def send(
        self,
        model: Model,
        batch: list[PendingCall],
        endpoint: EndpointLimits,
        counts: JobCounts,
        progress: RunProgress,
        responses: list[Response | None],
        failures: list[Failure],
        stop: asyncio.Event,
    ) -> None:
        """One batch: paced, retried while the backend calls it transient, stored the moment it arrives.

        Only the backend's own verdicts are caught: `TransientError` (retried,
        then recorded) and `GenerationError` (recorded). A `UserError` (a
        rejected key) stops the whole run; any other exception is a bug and
        keeps its traceback.
        """
        requests = [p.request for p in batch]
        estimated = sum(len(p.rendered) // 4 + p.request.sampling.max_tokens for p in batch)

        def on_retry(state: RetryCallState) -> None:
            counts.retries += len(batch)
            counts.retrying += len(batch) if state.attempt_number == 1 else 0
            progress.update(counts)

        try:  # the cost limit is checked before sending, against the most this batch could cost
            held = self.cost.reserve(model.identity, [p.rendered for p in batch], [p.request.sampling.max_tokens for p in batch])
        except CostLimitReached:
            return
        attempts = 0
        started = time.monotonic()
        try:
            max_retries = getattr(model, "max_retries", None)
            max_attempts = self.retry.max_attempts if max_retries is None else max_retries + 1
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(max_attempts),
                wait=self.retry.wait,
                retry=retry_if_exception_type(TransientError),
                before_sleep=on_retry,
                reraise=True,
            ):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    await endpoint.pace(len(batch), estimated)
                    if stop.is_set():  # another batch ended the run while this one waited
                        return
                    endpoint.breaker.check()  # given up by another batch while this one waited
                    started = time.monotonic()
                    completions = await self._generate(model, requests, endpoint)
                    if len(completions) != len(requests):
                        raise RuntimeError(
                            f"{type(model).__name__}.generate returned {len(completions)} completions for {len(requests)} requests"
                        )
                    received = self._responses(model, batch, completions, (time.monotonic() - started) / len(batch))
                    # handed to the store's writer thread at once, with no await in between: a run cancelled
                    # from here on (Ctrl-C, another batch's error) still stores what it received
                    written = self.store.submit_many(
                        [(response, p.request, p.rendered) for response, p in zip(received, batch)], replace=self.refresh
                    )
        except (TransientError, GenerationError) as exc:  # recorded, never cached; the run goes on with other requests
            await self._fail(model, batch, exc, attempts, counts, failures)
        else:
            await written
            for pending, response, completion in zip(batch, received, completions):
                if self.refresh:
                    self.refreshed.add(pending.key)
                for index in pending.indices:
                    responses[index] = response
                counts.generated += len(pending.indices)
                counts.completion_tokens += completion.completion_tokens or 0
                self.cost.record(model.identity, completion, pending.rendered, pending.request.sampling.max_tokens)
        finally:
            self.cost.release(held)
            if attempts > 1:
                counts.retrying -= len(batch)
        progress.update(counts, advance=sum(len(p.indices) for p in batch))

    @staticmethod
    async def _generate(model: Model, requests: list[GenerationRequest], endpoint: EndpointLimits) -> list[Completion]:
        """`model.generate`, counted by the endpoint's circuit breaker (which raises once it trips)."""
        try:
            completions = await model.generate(requests)
        except ConnectionFailure:
            endpoint.breaker.failed()
            raise
        except (TransientError, GenerationError):
            endpoint.breaker.reached()  # the server answered, if only with an error: it is alive
            raise
        endpoint.breaker.reached()
        return completions

    @staticmethod
    def _responses(model: Model, batch: list[PendingCall], completions: list[Completion], latency: float) -> list[Response]:
        return [
            Response(
                key=pending.key,
                model=model.identity,
                prompt_id=pending.request.prompt_id,
                sample_index=pending.request.sample_index,
                latency_s=round(latency, 4),
                created_at=utc_now(),
                sampling=pending.request.sampling.key_fields(),
                **completion.model_dump(),
            )
            for pending, completion in zip(batch, completions)
        ]

    async def _fail(
        self, model: Model, batch: list[PendingCall], exc: Exception, attempts: int, counts: JobCounts, failures: list[Failure]
    ) -> None:
        recorded = [
            Failure(
                key=pending.key,
                model=model.identity,
                prompt_id=pending.request.prompt_id,
                sample_index=pending.request.sample_index,
                error_type=type(exc).__name__,
                message=redact(str(exc) or repr(exc)),  # a server's error text may echo the key it was sent
                attempts=max(1, attempts),
                created_at=utc_now(),
            )
            for pending in batch
        ]
        await self.store.arecord_failures(recorded)
        for pending, failure in zip(batch, recorded):
            failures.append(failure)
            counts.failed += len(pending.indices)
