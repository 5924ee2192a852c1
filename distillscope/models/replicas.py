"""One model served by several replicas: least-busy routing, health, probing.

`openai/qwen?base_url=http://a:8000/v1,http://b:8000/v1` names one model
served twice. The URLs only say where to ask, so every replica shares the
model's store keys. Each request goes to the healthy replica with the fewest
requests in flight (at most `per_replica` each). A replica whose request
fails for a replica-shaped reason (connection refused or reset, time-out,
HTTP 5xx) is taken out and probed again after 1 s, 2 s, 4 s ... up to a
minute; the failed request is retried on another replica by the runner, only
after its failure, so no answer is paid for twice. When every replica is out,
requests go to all of them again and the runner's own backoff takes over (a
single server behaves as before).

The set lives in a runner's `SharedResources`, on the runner's event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Replica:
    url: str | None
    in_flight: int = 0
    healthy: bool = True
    #: failures in a row; sets the wait before the next probe
    failures: int = 0
    probe_at: float = 0.0
    served: int = 0
    _probe: asyncio.Task | None = field(default=None, repr=False)


class ReplicaSet:
    """Routes requests to replicas and keeps track of which ones are up.

    `probe(url)` answers whether a replica is reachable again (True) or still
    down (False); it must not raise.
    """

    def __init__(
        self,
        urls: Sequence[str | None],
        per_replica: int,
        probe: Callable[[str | None], Awaitable[bool]],
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        if not urls:
            raise ValueError("a replica set needs at least one URL")
        self.replicas = [Replica(url) for url in urls]
        self.per_replica = max(1, per_replica)
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self._probe = probe
        self._changed = asyncio.Condition()

    def healthy(self) -> list[Replica]:
        return [r for r in self.replicas if r.healthy]

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[Replica]:
        """The least-busy healthy replica with room, waiting for room if all are full."""
        async with self._changed:
            while True:
                candidates = [r for r in (self.healthy() or self.replicas) if r.in_flight < self.per_replica]
                if candidates:
                    replica = min(candidates, key=lambda r: (r.in_flight, r.served))
                    replica.in_flight += 1
                    replica.served += 1
                    break
                await self._changed.wait()
        try:
            yield replica
        finally:
            async with self._changed:
                replica.in_flight -= 1
                self._changed.notify_all()

    def succeeded(self, replica: Replica) -> None:
        replica.healthy, replica.failures = True, 0

    def failed(self, replica: Replica) -> None:
        """Take a replica out and schedule its next probe (exponential backoff)."""
        if not replica.healthy:
            return  # already out (its other requests in flight fail too): the probe is scheduled
        replica.failures += 1
        replica.healthy = False
        wait = min(self.max_backoff_s, self.first_backoff_s * 2 ** (replica.failures - 1))
        replica.probe_at = time.monotonic() + wait
        if replica._probe is None or replica._probe.done():
            replica._probe = asyncio.get_running_loop().create_task(self._probe_later(replica))

    async def _probe_later(self, replica: Replica) -> None:
        while not replica.healthy:
            await asyncio.sleep(max(0.0, replica.probe_at - time.monotonic()))
            if replica.healthy:  # a request got through meanwhile
                return
            if await self._probe(replica.url):
                self.succeeded(replica)
                async with self._changed:
                    self._changed.notify_all()
                return
            replica.failures += 1
            replica.probe_at = time.monotonic() + min(self.max_backoff_s, self.first_backoff_s * 2 ** (replica.failures - 1))

    async def aclose(self) -> None:
        for replica in self.replicas:
            if replica._probe is not None and not replica._probe.done():
                replica._probe.cancel()
                try:
                    await replica._probe
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
                    pass
