"""Per-endpoint limits: calls in flight, requests per minute, tokens per minute.

Two specs that point at the same server share one limit, because the server's
quota is per endpoint, not per spec. Limits are built inside the running event
loop (asyncio primitives bind to the loop that first uses them).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiolimiter import AsyncLimiter


class EndpointLimits:
    def __init__(self, concurrency: int, rpm: float | None = None, tpm: float | None = None) -> None:
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._requests = AsyncLimiter(rpm, 60.0) if rpm else None
        self._tpm = tpm
        self._tokens = AsyncLimiter(tpm, 60.0) if tpm else None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield

    async def pace(self, requests: int, estimated_tokens: int) -> None:
        """Wait until the rate limits allow another call of this size."""
        if self._requests is not None:
            await self._requests.acquire(min(requests, self._requests.max_rate))
        if self._tokens is not None and self._tpm:
            await self._tokens.acquire(min(float(estimated_tokens), self._tpm))


class LimitsRegistry:
    """One `EndpointLimits` per endpoint for the duration of a run."""

    def __init__(self) -> None:
        self._by_endpoint: dict[str, EndpointLimits] = {}

    def for_model(self, model) -> EndpointLimits:  # noqa: ANN001 - a models.base.Model
        limits = self._by_endpoint.get(model.endpoint)
        if limits is None:
            limits = EndpointLimits(model.concurrency, model.rpm, model.tpm)
            self._by_endpoint[model.endpoint] = limits
        return limits
