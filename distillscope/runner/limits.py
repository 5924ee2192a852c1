"""Per-endpoint limits: calls in flight, requests per minute, tokens per minute.

Two specs that point at the same server share one limit, because the server's
quota is per endpoint, not per spec. The registry belongs to a `Runner` and
lives as long as it (on the runner's own event loop), so the pace holds across
the many `Runner.run` calls an ICE iteration or an audit makes.

Rates are paced smoothly, with a burst of at most one second's worth: a
bucket the size of a whole minute would let 2x the quota through in the first
minute (a full bucket, then the refill), which is what a server's per-minute
window answers with 429s.

Each endpoint also has a circuit breaker: after N consecutive connection
failures (refused, reset, DNS, timed out; `circuit_breaker=N` in the spec,
default 8, 0 switches it off) the run stops with one line instead of retrying
every request against a dead server for hours. Any answer from the server,
even an error status, closes the count again: a server that answers is alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiolimiter import AsyncLimiter

from distillscope.errors import ServerUnreachableError

if TYPE_CHECKING:
    from distillscope.models.base import Model


class EndpointUnreachableError(ServerUnreachableError):
    """The circuit breaker tripped: the run stops, every answer received so far stays stored."""


class CircuitBreaker:
    """Counts consecutive connection failures of one endpoint; raises once `limit` is reached (0: never)."""

    def __init__(self, endpoint: str, limit: int) -> None:
        self.endpoint = endpoint
        self.limit = limit
        self.consecutive = 0

    @property
    def tripped(self) -> bool:
        return self.limit > 0 and self.consecutive >= self.limit

    def check(self) -> None:
        """Raise if the endpoint was given up, so no further request goes out to it."""
        if self.tripped:
            raise EndpointUnreachableError(
                f"endpoint {self.endpoint} unreachable: {self.consecutive} consecutive connection failures; stored answers kept",
                "start the server (or correct base_url), then re-run to resume; circuit_breaker=N in the spec changes the limit",
            )

    def failed(self) -> None:
        self.consecutive += 1
        self.check()

    def reached(self) -> None:
        self.consecutive = 0

    def rearm(self) -> None:
        """A new run gives a given-up endpoint another chance: its server may be back (a notebook re-runs the cell)."""
        if self.tripped:
            self.consecutive = 0


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
    def __init__(
        self, concurrency: int, rpm: float | None = None, tpm: float | None = None, *, endpoint: str = "", circuit_breaker: int = 0
    ) -> None:
        self.concurrency = concurrency
        self.breaker = CircuitBreaker(endpoint, circuit_breaker)
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

    def for_model(self, model: Model) -> EndpointLimits:
        limits = self._by_endpoint.get(model.endpoint)
        if limits is None:
            limits = EndpointLimits(
                model.concurrency, model.rpm, model.tpm, endpoint=model.endpoint, circuit_breaker=getattr(model, "circuit_breaker", 0)
            )
            self._by_endpoint[model.endpoint] = limits
        return limits
