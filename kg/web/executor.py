"""A pool of persistent query worker processes, each with the live build open read-only.

pyoxigraph cannot cancel a query (see /work/shared/notes/pyoxigraph-and-peers.md): a thread that
runs past its deadline keeps burning a core. So every query goes over a pipe to a worker
*process*; when the deadline passes first, that worker is killed with SIGKILL, reaped (so its pid
is really gone, not a zombie) and replaced by a fresh one. Workers are started from a forkserver,
never by forking the threaded web server itself, and the forkserver preloads `kg.web.worker`, so
a replacement is ready in milliseconds.

Each job names the build directory to read; a worker keeps that build open between jobs and
reopens only when `current` has moved to another build, which is how answers switch to the new
data while `kg load` swaps stores, without ever mixing two builds in one answer.

Concurrency is bounded twice: at most `max_concurrent_queries` requests are admitted (the rest
wait briefly, then get 503), and each admitted request waits for an idle worker no longer than
its own deadline.

The pool is elastic between `workers` and `max_workers`: `workers` start with the server; when a
request is waiting for a worker and every worker has been on its current job for over
`_LONG_JOB_S`, one more is started (in a thread, from the forkserver) up to `max_workers`, and
kept. Without this, a few first evaluations of queries that take seconds held every worker, and
cheap requests (entity pages, small queries) queued behind them although the machine had time for
them; with it, as in Oxigraph's server (a thread per request), the operating system shares the
cores between long and short evaluations, each still killable at its deadline. A queue that moves
(look-ups, pages, the heavy queries of a benchmark: milliseconds to a few hundred each) does not
grow the pool: more processes than cores would only add contention and cold caches (measured:
about a fifth fewer heavy queries answered with 8 workers than with 2 on two cores).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess

from kg.errors import QueryTimeoutError, ServiceBusyError, StoreError
from kg.web.page_work import PageJob
from kg.web.worker import Job, Outcome, serve

__all__ = ["Executor", "WorkerDied"]

_ADMISSION_WAIT_S = 1.0  # how long a request beyond `max_concurrent_queries` may wait to enter
_KILL_WAIT_S = 10.0
# A request waiting for a worker checks this often whether the pool should grow; it grows only
# when every worker has been on its current job for `_LONG_JOB_S` (held by long evaluations).
_GROW_AFTER_S = 0.2
_LONG_JOB_S = 1.0


class WorkerDied(StoreError):
    """A worker process ended without answering (crash, out of memory); it has been replaced."""


@dataclass(slots=True)
class _Worker:
    """One worker process and the parent's end of its pipe."""

    process: BaseProcess
    conn: Connection
    busy_since: float | None = None  # monotonic start of the job it is on, None when idle

    @property
    def pid(self) -> int:
        """The worker's process id (set once started)."""
        assert self.process.pid is not None
        return self.process.pid


class Executor:
    """Runs `Job`s in worker processes with a hard deadline; thread-safe.

    `restarts` counts workers replaced after a timeout or a crash; `killed_pids` remembers the
    most recent workers killed at a deadline, so operators and tests can check they are gone.
    """

    def __init__(self, *, workers: int, max_concurrent: int, max_workers: int = 0) -> None:
        self._context = _worker_context()
        self._max_workers = max(workers, max_workers)
        self._starting = 0  # workers being started for requests that found none idle
        self._admission = threading.BoundedSemaphore(max_concurrent)
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        # Event-loop requests waiting for a worker; served before threads blocked on `_idle`.
        self._loop_waiters: collections.deque[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]
        ] = collections.deque()
        self._lock = threading.Lock()
        self._live: dict[int, _Worker] = {}
        self._closed = False
        self._busy = 0
        self.restarts = 0
        self.killed_pids: list[int] = []
        for _ in range(workers):
            self._idle.put(self._spawn())

    def worker_pids(self) -> list[int]:
        """Pids of the live worker processes (idle or busy)."""
        with self._lock:
            return sorted(pid for pid, w in self._live.items() if w.process.is_alive())

    def busy_workers(self) -> int:
        """How many workers are evaluating a query right now."""
        with self._lock:
            return self._busy

    def run(self, job: Job | PageJob, *, timeout_s: float) -> Outcome:
        """Evaluate `job` in a worker; raise `QueryTimeoutError` once `timeout_s` has passed.

        The wait for admission and for an idle worker counts against the same deadline, so a
        request never takes much longer than its timeout, whatever the load.
        """
        deadline = time.monotonic() + timeout_s
        if not self._admission.acquire(timeout=min(_ADMISSION_WAIT_S, timeout_s)):
            raise ServiceBusyError(
                "The endpoint is answering as many queries as it is allowed to; retry shortly."
            )
        try:
            return self._run_on(self._take(deadline, timeout_s), job, deadline, timeout_s)
        finally:
            self._admission.release()

    def _take(self, deadline: float, timeout_s: float) -> _Worker:
        """An idle worker for an admitted request in a thread (the pool grows if none is)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        while (left := deadline - time.monotonic()) > 0:
            try:
                return self._idle.get(timeout=min(_GROW_AFTER_S, left))
            except queue.Empty:
                self._grow()
        raise ServiceBusyError(
            f"No query worker became free within the {timeout_s:g} s deadline; retry shortly."
        )

    async def claim(self, *, timeout_s: float) -> _Worker | None:
        """An admitted idle worker, awaited on the event loop for up to `timeout_s`.

        None when admission itself would have to wait (more requests in flight than
        `max_concurrent_queries`): the caller then uses `run` in a thread, which waits for
        admission with its bound. `ServiceBusyError` when no worker became free in time. Pass
        the worker to `run_claimed`, or give it back with `release`.
        """
        if not self._admission.acquire(blocking=False):
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                waiter: asyncio.Future[_Worker] = loop.create_future()
                self._loop_waiters.append((loop, waiter))
        expiry = loop.call_later(timeout_s, _expire, waiter)
        grow = loop.call_later(_GROW_AFTER_S, self._grow_while_waiting, loop, waiter)
        try:
            return await waiter
        except TimeoutError:
            self._admission.release()
            raise ServiceBusyError(
                f"No query worker became free within the {timeout_s:g} s deadline; retry shortly."
            ) from None
        except asyncio.CancelledError:
            self._admission.release()
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())  # delivered just as the request went away
            raise
        finally:
            expiry.cancel()
            grow.cancel()

    def _grow_while_waiting(
        self, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[_Worker]
    ) -> None:
        """On the loop, every `_GROW_AFTER_S` of a wait: maybe grow the pool, check again later."""
        if not waiter.done():
            self._grow()
            loop.call_later(_GROW_AFTER_S, self._grow_while_waiting, loop, waiter)

    def _grow(self) -> None:
        """A request is waiting for a worker: start one more, in a thread, if every worker has
        been on its job for `_LONG_JOB_S` and the pool is below `max_workers`.

        The new worker is handed out like a returned one (`_give_back`), so whoever waits
        longest gets it; the request does not wait for the start itself (a few milliseconds
        from the forkserver, which must not block the event loop).
        """
        now = time.monotonic()
        with self._lock:
            if self._closed or len(self._live) + self._starting >= self._max_workers:
                return
            if any(
                w.busy_since is None or now - w.busy_since < _LONG_JOB_S
                for w in self._live.values()
            ):
                return  # a worker is free, or the queue moves: the waiter will get one
            self._starting += 1
        threading.Thread(target=self._add_worker, name="kg-worker-start", daemon=True).start()

    def _add_worker(self) -> None:
        """Start one worker and put it in the pool (or stop it if the pool closed meanwhile)."""
        try:
            worker = self._spawn()
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            closed = self._closed
            if closed:
                self._live.pop(worker.pid, None)
        if closed:
            _stop(worker)
            return
        self._give_back(worker)

    def _give_back(self, worker: _Worker) -> None:
        """Return a free worker: to the first event-loop waiter, else to the idle queue."""
        with self._lock:
            if self._loop_waiters:
                loop, waiter = self._loop_waiters.popleft()
            else:
                self._idle.put(worker)
                return
        try:
            loop.call_soon_threadsafe(self._deliver, waiter, worker)
        except RuntimeError:  # that loop is closed: its waiter is gone
            self._give_back(worker)

    def _deliver(self, waiter: asyncio.Future[_Worker], worker: _Worker) -> None:
        """On the waiter's loop: hand over `worker`, or pass it on if the waiter gave up."""
        if waiter.done():
            self._give_back(worker)
        else:
            waiter.set_result(worker)

    def release(self, worker: _Worker) -> None:
        """Give back a claimed worker that was not used."""
        self._give_back(worker)
        self._admission.release()

    async def run_claimed(
        self, worker: _Worker, job: Job | PageJob, *, timeout_s: float, deadline: float
    ) -> Outcome:
        """`run` on the event loop, on a worker from `claim`, until `deadline` (monotonic).

        `deadline` is the request's, set before it waited for the worker (as in `run`);
        `timeout_s` is what the client is told. The wait for the answer is the pipe's
        readability in the loop (no thread, no hop), with the same kill-and-replace at the end.
        """
        try:
            return await self._run_on_async(worker, job, deadline, timeout_s)
        finally:
            self._admission.release()

    async def _run_on_async(
        self, worker: _Worker, job: Job | PageJob, deadline: float, timeout_s: float
    ) -> Outcome:
        """`_run_on`, waiting in the event loop; the pool always gets a worker back.

        If the request is cancelled (the client went away), the worker is killed and replaced
        like at the deadline: its evaluation's answer would have nowhere to go.
        """
        loop = asyncio.get_running_loop()
        healthy = False
        with self._lock:
            self._busy += 1
            worker.busy_since = time.monotonic()
        try:
            worker.conn.send(job)
            # True once the pipe is readable, False at the deadline: one future and one timer
            # (not `asyncio.wait_for`, which costs a second future and callbacks per request).
            readable: asyncio.Future[bool] = loop.create_future()
            fd = worker.conn.fileno()
            loop.add_reader(fd, _settle, readable, True)
            left = max(0.0, deadline - time.monotonic())
            expiry = loop.call_later(left, _settle, readable, False)
            try:
                if not await readable:
                    raise QueryTimeoutError(_timeout_message(timeout_s))
            finally:
                expiry.cancel()
                loop.remove_reader(fd)
            # Readable: the worker has finished and is writing its answer, which arrives at
            # pipe speed (a large answer blocks the loop for that copy only).
            outcome = worker.conn.recv()
            assert isinstance(outcome, Outcome)
            healthy = True
            return outcome
        except (EOFError, BrokenPipeError, ConnectionResetError):
            raise WorkerDied(
                f"The query worker ended without an answer (exit code {worker.process.exitcode})."
            ) from None
        finally:
            with self._lock:
                self._busy -= 1
                worker.busy_since = None
            if healthy:
                self._give_back(worker)
            else:
                # Killing waits for the kernel (up to _KILL_WAIT_S): in a thread. Shielded, so a
                # cancelled request still gets its worker replaced.
                await asyncio.shield(loop.run_in_executor(None, self._replace, worker))

    def _run_on(
        self, worker: _Worker, job: Job | PageJob, deadline: float, timeout_s: float
    ) -> Outcome:
        """Send `job` to `worker`, wait until the deadline; the pool always gets a worker back."""
        healthy = False
        with self._lock:
            self._busy += 1
            worker.busy_since = time.monotonic()
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                raise QueryTimeoutError(_timeout_message(timeout_s))
            outcome = worker.conn.recv()
            assert isinstance(outcome, Outcome)
            healthy = True
            return outcome
        except (EOFError, BrokenPipeError, ConnectionResetError):
            raise WorkerDied(
                f"The query worker ended without an answer (exit code {worker.process.exitcode})."
            ) from None
        finally:
            with self._lock:
                self._busy -= 1
                worker.busy_since = None
            if healthy:
                self._give_back(worker)
            else:
                self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill `worker`, wait until the kernel has released it, and put a new one in its place."""
        pid = worker.pid
        worker.process.kill()
        worker.process.join(_KILL_WAIT_S)
        worker.conn.close()
        if worker.process.exitcode is None:  # pragma: no cover - SIGKILL cannot be ignored
            raise StoreError(f"Query worker {pid} survived SIGKILL for {_KILL_WAIT_S:g} s.")
        with self._lock:
            self._live.pop(pid, None)
            self.restarts += 1
            self.killed_pids = [*self.killed_pids[-15:], pid]
            closed = self._closed
        if not closed:
            self._give_back(self._spawn())

    def _spawn(self) -> _Worker:
        """Start one worker process from the forkserver."""
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve, args=(child_end,), name="kg-query-worker", daemon=True
        )
        process.start()
        child_end.close()
        worker = _Worker(process=process, conn=parent_end)
        with self._lock:
            self._live[worker.pid] = worker
        return worker

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, any still running is killed."""
        with self._lock:
            self._closed = True
            workers = list(self._live.values())
            self._live.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            _join_or_kill(worker)


def _stop(worker: _Worker) -> None:
    """Ask an idle worker to exit; kill it if it does not."""
    with contextlib.suppress(OSError):
        worker.conn.send(None)
    _join_or_kill(worker)


def _join_or_kill(worker: _Worker) -> None:
    """Wait briefly for a worker asked to exit, kill it if it lingers, close its pipe."""
    worker.process.join(2.0)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(_KILL_WAIT_S)
    worker.conn.close()


def _expire(waiter: asyncio.Future[_Worker]) -> None:
    """The claim's deadline passed before a worker was delivered."""
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _settle(future: asyncio.Future[bool], value: bool) -> None:
    """Settle `future` with `value` unless it is done (the pipe or the deadline came first; a
    reader callback may also fire more than once before it is removed)."""
    if not future.done():
        future.set_result(value)


def _timeout_message(timeout_s: float) -> str:
    """What a client whose query was stopped at its deadline is told."""
    return (
        f"The query did not finish within {timeout_s:g} s and was stopped. Narrow it "
        "(a more selective pattern, a LIMIT) or ask for less."
    )


def _worker_context() -> ForkServerContext | SpawnContext:
    """A forkserver context that preloads the worker module (spawn where forkserver is missing).

    Forking the web server itself would copy its threads' locks mid-use; the forkserver is a
    clean single-threaded process started once, and its children start fast.
    """
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - platforms without forkserver
        return multiprocessing.get_context("spawn")
    # "__main__" too: when the server runs from a script (the `kg` console script), the
    # forkserver imports it once instead of every new worker re-running it (~0.3 s each).
    context.set_forkserver_preload(["__main__", "kg.web.worker"])
    return context
