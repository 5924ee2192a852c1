"""Leases on requests in flight, kept in the store, so two processes never both pay for one answer.

Before a request is sent, its store key is leased in one write transaction
(a `leases` row: owner, host, pid, expiry) that also checks whether the
answer has arrived meanwhile. A process that finds a live lease held by
another waits, and reads the answer from the store once the owner wrote it.
A lease whose owner died (same host, pid gone or a zombie) or whose expiry
passed (another host, or an owner that stopped renewing) is taken over, so a
killed run never blocks the next one. The owner renews its leases while it
holds them and deletes them once the answer (or the failure) is stored.

A request in flight when its process is SIGKILLed is the one case paid twice:
its answer was never stored, so whoever takes the lease over sends it again.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distillscope.runner.store.core import ResponseStore

LEASE_TABLE = (
    "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "
    "expires_at REAL NOT NULL)"
)


@dataclass
class LeaseOutcome:
    """Keys split three ways by one transaction."""

    taken: list[str] = field(default_factory=list)  # ours now: send them
    answered: list[str] = field(default_factory=list)  # stored meanwhile (by another process): read them
    busy: list[str] = field(default_factory=list)  # another live process is paying for them: wait


#: owners (runners) of this process inside a run: a lease of this pid with another owner is live only if listed
LIVE_OWNERS: set[str] = set()


def owner_alive(owner: str, host: str, pid: int) -> bool:
    """A process on this host is alive (a zombie is not); on another host we cannot tell, so it is (until expiry)."""
    if host != socket.gethostname():
        return True
    if pid == os.getpid():  # a runner of this very process: alive while it is open
        return owner in LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def purge_dead(db: sqlite3.Connection) -> int:
    """Inside a write transaction: drop the leases of owners that are dead or expired (a killed run's), however many."""
    db.execute(LEASE_TABLE)
    now, dead = time.time(), []
    for owner, host, pid, expires in db.execute("SELECT owner, host, pid, MAX(expires_at) FROM leases GROUP BY owner, host, pid"):
        if expires <= now or not owner_alive(owner, host, pid):
            dead.append(owner)
    return sum(db.execute("DELETE FROM leases WHERE owner = ?", (owner,)).rowcount for owner in dead)


def take(db: sqlite3.Connection, keys: Iterable[str], owner: str, ttl_s: float, *, check_answered: bool) -> LeaseOutcome:
    """Inside the caller's write transaction: lease every key nobody live holds and nobody has answered."""
    db.execute(LEASE_TABLE)
    now, host, pid = time.time(), socket.gethostname(), os.getpid()
    outcome = LeaseOutcome()
    for key in keys:
        if check_answered and db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone():
            outcome.answered.append(key)
            continue
        held = db.execute("SELECT owner, host, pid, expires_at FROM leases WHERE key = ?", (key,)).fetchone()
        if held and held[0] != owner and held[3] > now and owner_alive(held[0], held[1], held[2]):
            outcome.busy.append(key)
            continue
        db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?)", (key, owner, host, pid, now + ttl_s))
        outcome.taken.append(key)
    return outcome


class Leases:
    """This runner's leases in one store: taken, renewed while held, released when the answer is stored."""

    def __init__(self, store: "ResponseStore", *, ttl_s: float = 120.0, poll_s: float = 0.25) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.poll_s = poll_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held: set[str] = set()
        self.waited = 0  # keys another process was paying for when we wanted them (tests, the soak)
        #: set when the store's lock could not be had in time: requests then go out unleased, as before leases
        #: existed (an answer received is still stored, or spilled), rather than waiting on every batch
        self.unavailable: str | None = None
        self._acquiring: asyncio.Lock | None = None
        self._purged = False
        self._runs = 0  # runs of this runner going on (several may overlap on its loop)

    async def acquire(self, keys: list[str], *, check_answered: bool = True) -> LeaseOutcome:
        async with self._turn:  # one at a time: when the lock cannot be had, only the first waits for it
            if self.unavailable is None:
                try:
                    if not self._purged:  # once per runner: leases a killed run left on answered keys would stay forever
                        await self.store.transact(purge_dead)
                        self._purged = True
                    outcome = await self.store.transact(lambda db: take(db, keys, self.owner, self.ttl_s, check_answered=check_answered))
                except sqlite3.OperationalError as exc:
                    self.unavailable = str(exc)
                else:
                    self.held.update(outcome.taken)
                    return outcome
        return LeaseOutcome(taken=list(keys))

    @property
    def _turn(self) -> asyncio.Lock:
        if self._acquiring is None:  # made on the runner's loop, where it is used
            self._acquiring = asyncio.Lock()
        return self._acquiring

    async def release(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if k in self.held]
        if not keys:
            return
        self.held.difference_update(keys)
        marks = ",".join("?" * len(keys))
        try:
            await self.store.transact(
                lambda db: db.execute(f"DELETE FROM leases WHERE owner = ? AND key IN ({marks})", (self.owner, *keys)).rowcount
            )
        except sqlite3.OperationalError:
            pass  # left to expire; its owner is seen dead once this process ends

    def close(self) -> None:
        """This runner is done: its leases are no longer live, even while the process goes on."""
        self._runs = 0
        LIVE_OWNERS.discard(self.owner)

    def begin(self) -> None:
        """A run of ours starts: our leases are live (to this process's other runners) until it ends."""
        self._runs += 1
        LIVE_OWNERS.add(self.owner)

    def end(self) -> None:
        """A run of ours ended, however: once none is going on, whatever we still hold (a run cut by Ctrl-C or an
        error before it could release) is free for this process's next runner at once, not after the lease's expiry."""
        self._runs = max(0, self._runs - 1)
        if not self._runs:
            LIVE_OWNERS.discard(self.owner)

    async def renew_forever(self) -> None:
        """Push the expiry of every held lease forward, every third of its life, until cancelled."""
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            keys = list(self.held)
            if keys:
                expiry = time.time() + self.ttl_s
                try:
                    await self.store.transact(
                        lambda db: db.executemany(
                            "UPDATE leases SET expires_at = ? WHERE key = ? AND owner = ?", [(expiry, k, self.owner) for k in keys]
                        )
                    )
                except sqlite3.OperationalError:
                    pass  # tried again a third of a lease later

    async def wait_for_others(self, keys: list[str], check_answered: bool = True) -> AsyncIterator[LeaseOutcome]:
        """Poll busy keys until each is answered by its owner or its lease is free to take; yields each change."""
        self.waited += len(keys)
        delay = self.poll_s
        while keys:
            await asyncio.sleep(delay)
            outcome = await self.acquire(keys, check_answered=check_answered)
            if outcome.taken or outcome.answered:
                yield outcome
            keys = outcome.busy
            delay = min(2.0, delay * 1.5)
