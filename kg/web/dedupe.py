"""Not evaluating the same thing twice: duplicates in flight wait, recent timeouts are not rerun.

The result caches help only once an answer exists. Two cases reach the workers before that:

- *Concurrent duplicates.* A popular query or page that is not cached yet is usually asked by
  several clients at once (a link shared, a page opened by a class). `Coalescer` lets the first
  request evaluate and the others wait for its result (each no longer than its own deadline),
  instead of occupying every worker with the same evaluation.
- *Repeated runaways.* A query that ran into its deadline on a store version will run into it
  again on the same version; re-running it burns a worker for the whole deadline each time.
  `RecentTimeouts` remembers such keys for a short while (`TIMEOUT_MEMORY_S`), so a repeat with the
  same or a shorter deadline is answered 503 at once. A new store version, a longer deadline, or
  the memory expiring lets it run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from kg.errors import QueryTimeoutError

__all__ = ["TIMEOUT_MEMORY_S", "Coalescer", "RecentTimeouts"]

TIMEOUT_MEMORY_S = 60.0
_MAX_REMEMBERED = 1000

T = TypeVar("T")


@dataclass(slots=True)
class _Call(Generic[T]):
    """One evaluation in flight and, once done, its result or error."""

    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None
    waiters: int = 0
    loop_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(
        default_factory=list
    )


class Coalescer(Generic[T]):
    """Runs one evaluation per key at a time; concurrent callers with that key share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call[T]] = {}
        self.shared = 0  # callers answered by another caller's evaluation (for the metrics)

    def run(self, key: Hashable, evaluate: Callable[[], T], *, timeout_s: float) -> T:
        """`evaluate()`, or the result of the identical evaluation already running.

        A waiting caller gives up with `QueryTimeoutError` after `timeout_s`; it gets the
        leader's exception if the leader failed.
        """
        with self._lock:
            call = self._calls.get(key)
            if call is None:
                call = self._calls[key] = _Call()
                leader = True
            else:
                call.waiters += 1
                leader = False
        if leader:
            try:
                result = evaluate()
            except BaseException as exc:
                self.settle(key, call, error=exc)
                raise
            self.settle(key, call, result=result)
            return result
        if not call.done.wait(timeout_s):
            raise _waited_too_long(timeout_s)
        with self._lock:
            self.shared += 1
        if call.error is not None:
            raise call.error
        return cast(T, call.result)  # set by the leader before `done`, None only if T allows

    def lead(self, key: Hashable) -> _Call[T] | None:
        """Become the one evaluating `key` (then `settle` it), or None if someone already is.

        For callers that cannot block (the event loop): on None, they call `run` in a thread.
        """
        with self._lock:
            if key in self._calls:
                return None
            call: _Call[T] = _Call()
            self._calls[key] = call
            return call

    async def join(self, key: Hashable, *, timeout_s: float) -> tuple[bool, T | None]:
        """On the event loop: (True, result) of the evaluation of `key` in flight, awaited;
        (False, None) at once if none is. Raises its error, or `QueryTimeoutError` after
        `timeout_s`."""
        loop = asyncio.get_running_loop()
        with self._lock:
            call = self._calls.get(key)
            if call is None:
                return False, None
            call.waiters += 1
            finished: asyncio.Future[None] = loop.create_future()
            call.loop_waiters.append((loop, finished))
        try:
            await asyncio.wait_for(finished, timeout_s)
        except TimeoutError:
            raise _waited_too_long(timeout_s) from None
        with self._lock:
            self.shared += 1
        if call.error is not None:
            raise call.error
        return True, call.result

    def settle(
        self, key: Hashable, call: _Call[T], *, result: T | None = None,
        error: BaseException | None = None,
    ) -> None:
        """End the evaluation of `key` with its result or error; wake whoever waits for it."""
        call.result, call.error = result, error
        with self._lock:
            del self._calls[key]
            loop_waiters = list(call.loop_waiters)  # none can join once the key is gone
        call.done.set()
        for loop, finished in loop_waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_finish, finished)


def _finish(finished: asyncio.Future[None]) -> None:
    """On a waiter's loop: the evaluation it waits for is over."""
    if not finished.done():
        finished.set_result(None)


def _waited_too_long(timeout_s: float) -> QueryTimeoutError:
    return QueryTimeoutError(
        f"The query did not finish within {timeout_s:g} s (an identical one was being "
        "evaluated). Narrow it (a more selective pattern, a LIMIT) or ask for less."
    )


class RecentTimeouts:
    """Keys whose evaluation recently ran into its deadline, and that deadline."""

    def __init__(self, memory_s: float = TIMEOUT_MEMORY_S) -> None:
        self.memory_s = memory_s
        self._lock = threading.Lock()
        self._timed_out: dict[Hashable, tuple[float, float]] = {}  # key -> (deadline s, when)
        self.refused = 0

    def remember(self, key: Hashable, timeout_s: float) -> None:
        """`key` ran out of its `timeout_s` just now."""
        now = time.monotonic()
        with self._lock:
            if len(self._timed_out) >= _MAX_REMEMBERED:
                self._timed_out = {
                    k: v for k, v in self._timed_out.items() if now - v[1] < self.memory_s
                }
                if len(self._timed_out) >= _MAX_REMEMBERED:
                    self._timed_out.clear()
            self._timed_out[key] = (timeout_s, now)

    def check(self, key: Hashable, timeout_s: float) -> None:
        """Raise `QueryTimeoutError` if `key` timed out recently with a deadline >= `timeout_s`."""
        with self._lock:
            found = self._timed_out.get(key)
            if found is None:
                return
            deadline, when = found
            if time.monotonic() - when >= self.memory_s:
                del self._timed_out[key]
                return
            if timeout_s > deadline:
                return
            self.refused += 1
        raise QueryTimeoutError(
            f"This query ran into its {deadline:g} s deadline on the current data less than "
            f"{self.memory_s:g} s ago and would again, so it was not started. Narrow it (a more "
            "selective pattern, a LIMIT)."
        )
