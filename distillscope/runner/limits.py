"""Per-endpoint limits: calls in flight, requests per minute, tokens per minute.

Two specs that point at the same server share one limit, because the server's
quota is per endpoint, not per spec. The registry belongs to a `Runner` and
lives as long as it (on the runner's own event loop), so the pace holds across
the many `Runner.run` calls an ICE iteration or an audit makes.

Rates are paced smoothly, with a burst of at most one second's worth: a
bucket the size of a whole minute would let 2x the quota through in the first
minute (a full bucket, then the refill), which is what a server's per-minute
window answers with 429s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter


class Pacer:
    """At most `per_minute` units a minute, in bursts of at most a second's worth."""

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError("a rate must be positive")
        self.burst = max(1.0, per_minute / 60.0)
        self._limiter = AsyncLimiter(self.burst, 60.0 * self.burst / per_minute)

    async def acquire(self, amount: float) -> None:
        # a request larger than one burst pays in several instalments, so it is charged in full
        while amount > 0:
            step = min(amount, self.burst)
            await self._limiter.acquire(step)
            amount -= step


class EndpointLimits:
    def __init__(self, concurrency: int, rpm: float | None = None, tpm: float | None = None) -> None:
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._requests = Pacer(rpm) if rpm else None
        self._tokens = Pacer(tpm) if tpm else None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield

    async def pace(self, requests: int, estimated_tokens: int) -> None:
        """Wait until the rate limits allow another call of this size."""
        if self._requests is not None:
            await self._requests.acquire(requests)
        if self._tokens is not None:
            await self._tokens.acquire(float(estimated_tokens))


class LimitsRegistry:
    """One `EndpointLimits` per endpoint, for as long as the registry lives.

    The first model seen on an endpoint sets its limits; later specs on the
    same endpoint share them.
    """

    def __init__(self) -> None:
        self._by_endpoint: dict[str, EndpointLimits] = {}

    def for_model(self, model) -> EndpointLimits:  # noqa: ANN001 - a models.base.Model
        limits = self._by_endpoint.get(model.endpoint)
        if limits is None:
            limits = EndpointLimits(model.concurrency, model.rpm, model.tpm)
            self._by_endpoint[model.endpoint] = limits
        return limits
