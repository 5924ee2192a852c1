"""The runner's own event loop, on a thread of its own.

Two reasons for one long-lived loop per `Runner` instead of `asyncio.run` per
call: rate limiters, HTTP clients and replica health bind to a loop and must
outlive a single `run` (an ICE iteration makes several), and library calls
must work where a loop is already running (Jupyter), where `asyncio.run`
refuses to start. Callers block on the result from whatever thread they are in.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

#: how long an interrupted call waits for its task to unwind (in-flight answers are written meanwhile)
CANCEL_GRACE_S = 10.0


class LoopThread:
    """An event loop running on a daemon thread, started on first use."""

    def __init__(self, name: str = "distillscope-runner") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    try:
                        while True:
                            try:
                                loop.run_forever()
                                break  # stopped by close()
                            except (KeyboardInterrupt, SystemExit):
                                # asyncio lets these escape the loop from the task that raised them; that
                                # task holds the exception too, so serve on until it reaches its caller
                                continue
                    finally:
                        _cancel_pending(loop)
                        loop.close()

                self._thread = threading.Thread(target=serve, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def in_loop(self) -> bool:
        """True when called from the loop's own thread (a coroutine already running on it)."""
        return self._thread is not None and threading.current_thread() is self._thread

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result in the calling thread.

        Ctrl-C (or any exception in the waiting thread) cancels the task and
        waits a moment for it to unwind (answers already received are written
        meanwhile) before re-raising.
        """
        if self.in_loop():
            coro.close()
            raise RuntimeError("Runner.run was called from inside its own event loop; await Runner.arun instead")
        loop = self.loop
        finished = threading.Event()
        started: list[asyncio.Task] = []

        def start() -> None:
            task = loop.create_task(coro)
            task.add_done_callback(lambda _: finished.set())
            started.append(task)

        loop.call_soon_threadsafe(start)
        try:
            finished.wait()
        except BaseException:
            loop.call_soon_threadsafe(lambda: started[0].cancel())  # runs after start(): the loop keeps call order
            try:
                finished.wait(CANCEL_GRACE_S)
            except BaseException:  # a second Ctrl-C: stop waiting
                pass
            raise
        return started[0].result()

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a coroutine that must run on this loop, from any loop."""
        if self.in_loop():
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self, final: Coroutine[Any, Any, Any] | None = None) -> None:
        """Run `final` (clean-up) on the loop, then stop it and join its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or loop.is_closed():
            if final is not None:
                final.close()
            return
        if thread is threading.current_thread():  # closed from a task on the loop itself: nothing may block here
            if final is not None:
                loop.create_task(final).add_done_callback(lambda _: loop.stop())
            else:
                loop.stop()
            return
        if final is not None:
            try:
                asyncio.run_coroutine_threadsafe(final, loop).result(timeout=CANCEL_GRACE_S)
            except Exception:  # noqa: BLE001 - clean-up is best effort; the process may be exiting
                pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=CANCEL_GRACE_S)


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task still on a stopped loop and let it unwind, so none is destroyed pending.

    (A task left pending when its loop closes is reported at exit as "Task was
    destroyed but it is pending!", the noise a Ctrl-C used to leave behind.)
    """
    try:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=CANCEL_GRACE_S))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except (KeyboardInterrupt, SystemExit, RuntimeError):  # a second Ctrl-C, or the interpreter going down: close anyway
        pass


async def run_blocking(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking library work (a whole audit) on a worker thread, so the caller's event loop keeps running.

    The work itself uses the runner's own loop on its own thread, as from any
    other thread; the caller's loop only awaits the result.
    """
    return await asyncio.to_thread(func, *args, **kwargs)


async def gather_all(coroutines: Iterable[Awaitable[T]]) -> list[T]:
    """Await every coroutine; the first to fail cancels the others and is raised as itself.

    (Callers and the CLI expect the `UserError` or the bug itself, not an
    exception group; and this runs on Python 3.10, which has no TaskGroup.)
    """
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # let the cancelled ones finish their clean-up
        raise
