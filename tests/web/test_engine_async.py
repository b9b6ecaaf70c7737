"""`QueryService.try_answer_async`: the event-loop path of /sparql, on real worker processes.

It must give the same answers as `answer`, keep the deadline and the kill, and hand over (None)
whenever it would have to wait — for a worker, or for an identical query in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from test_engine_service import MARKER, RUNAWAY, build_store, hold_with_runaway, values

from kg.errors import QueryRefusedError, QueryTimeoutError, ServiceBusyError
from kg.settings import Settings
from kg.web.service import FormatChoice, QueryService


@pytest.fixture
def service(tmp_path: Path) -> Iterator[QueryService]:
    store = tmp_path / "store"
    build_store(store, tmp_path / "data", "one")
    # A fixed pool of two: these tests are about waiting for a worker (growth is tested below).
    service = QueryService(
        Settings(store_dir=store, workers=2, max_workers=2, query_timeout_s=20)
    )
    yield service
    service.close()


def test_the_loop_path_answers_like_the_thread_path(service: QueryService) -> None:
    first = asyncio.run(service.try_answer_async(MARKER))
    assert first is not None and not first.cached
    assert values(first.body) == ["one"]
    again = asyncio.run(service.try_answer_async(MARKER, if_none_match=first.etag))
    assert again is not None and again.status == 304 and again.cached
    threaded = service.answer(MARKER)
    assert (threaded.body, threaded.etag) == (first.body, first.etag)
    uncached = asyncio.run(service.try_answer_async(MARKER + " # other text"))
    assert uncached is not None and values(uncached.body) == ["one"]
    assert service.metrics.outcome("ok") == 3 and service.metrics.outcome("not_modified") == 1


def test_the_loop_path_guards_and_kills_at_the_deadline(service: QueryService) -> None:
    with pytest.raises(QueryRefusedError):
        asyncio.run(service.try_answer_async(
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"))
    before = set(service.executor.worker_pids())
    with pytest.raises(QueryTimeoutError, match="within 1 s"):
        asyncio.run(service.try_answer_async(RUNAWAY, timeout_s=1))
    after = set(service.executor.worker_pids())
    gone = before - after
    assert len(gone) == 1 and len(after) == len(before)
    assert not any(psutil.pid_exists(pid) for pid in gone)
    assert service.metrics.outcome("timeout") == 1
    answer = asyncio.run(service.try_answer_async(MARKER))
    assert answer is not None and values(answer.body) == ["one"]


def test_a_loop_request_waits_for_a_worker_within_its_deadline(service: QueryService) -> None:
    async def scenario() -> None:
        claimed = [await service.executor.claim(timeout_s=5) for _ in range(2)]
        with pytest.raises(ServiceBusyError, match="No query worker became free"):
            await service.try_answer_async(MARKER, timeout_s=0.2)
        waiting = asyncio.ensure_future(service.try_answer_async(MARKER, timeout_s=10))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        first = claimed[0]
        assert first is not None
        # a worker given back from another thread reaches the waiting request
        await asyncio.get_running_loop().run_in_executor(None, service.executor.release, first)
        answer = await asyncio.wait_for(waiting, 10)
        assert answer is not None and values(answer.body) == ["one"]
        second = claimed[1]
        assert second is not None
        service.executor.release(second)

    asyncio.run(scenario())
    assert len(service.executor.worker_pids()) == 2
    assert service.answer(MARKER + " # both workers back").status == 200


def test_a_loop_request_joins_an_identical_query_in_flight(service: QueryService) -> None:
    text = f"{MARKER} # dup"
    plan = service._plan(text, FormatChoice(), (), ()).guarded(service._guard(text))

    async def scenario() -> None:
        call = service.flights.lead(plan.key)
        assert call is not None
        joined = [asyncio.ensure_future(service.try_answer_async(text)) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert not any(j.done() for j in joined)
        assert call.waiters == 3
        # the leader (here: this test, evaluating in a thread) settles; every joiner gets it
        outcome = await asyncio.get_running_loop().run_in_executor(
            None, lambda: service.executor.run(plan.job(), timeout_s=10))
        service.flights.settle(plan.key, call, result=outcome)
        answers = await asyncio.wait_for(asyncio.gather(*joined), 10)
        for answer in answers:
            assert answer is not None and values(answer.body) == ["one"]

    busy_before = service.executor.restarts
    asyncio.run(scenario())
    assert service.flights.shared == 3
    assert service.executor.restarts == busy_before

    other = f"{MARKER} # another"  # not cached yet
    other_key = service._plan(other, FormatChoice(), (), ()).key

    async def failing() -> None:
        call = service.flights.lead(other_key)
        assert call is not None
        joined = asyncio.ensure_future(service.try_answer_async(other))
        await asyncio.sleep(0.05)
        service.flights.settle(other_key, call, error=QueryTimeoutError("the leader's error"))
        with pytest.raises(QueryTimeoutError, match="the leader's error"):
            await asyncio.wait_for(joined, 10)

    asyncio.run(failing())


def test_a_loop_request_gets_a_new_worker_when_every_one_is_on_a_long_job(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    build_store(store, tmp_path / "data", "one")
    elastic = QueryService(
        Settings(store_dir=store, workers=1, max_workers=2, query_timeout_s=20)
    )
    errors: list[QueryTimeoutError] = []
    try:
        runner = hold_with_runaway(elastic, errors)
        answer = asyncio.run(elastic.try_answer_async(MARKER, timeout_s=10))
        assert answer is not None and values(answer.body) == ["one"]
        assert runner.is_alive() and len(elastic.executor.worker_pids()) == 2
        runner.join()
        assert len(errors) == 1
    finally:
        elastic.close()


def test_a_queue_that_moves_does_not_grow_the_pool(tmp_path: Path) -> None:
    """A worker that is taken but not on a long job: the waiter waits for it, no worker starts."""
    store = tmp_path / "store"
    build_store(store, tmp_path / "data", "one")
    elastic = QueryService(
        Settings(store_dir=store, workers=1, max_workers=2, query_timeout_s=20)
    )

    async def scenario() -> None:
        held = await elastic.executor.claim(timeout_s=5)
        assert held is not None
        with pytest.raises(ServiceBusyError, match="No query worker became free"):
            await elastic.try_answer_async(MARKER, timeout_s=1.5)
        assert len(elastic.executor.worker_pids()) == 1
        elastic.executor.release(held)

    try:
        asyncio.run(scenario())
        with pytest.raises(ServiceBusyError):  # the thread path alike
            held = asyncio.run(elastic.executor.claim(timeout_s=5))
            assert held is not None
            try:
                elastic.answer(MARKER + " # threaded", timeout_s=1.5)
            finally:
                elastic.executor.release(held)
        assert len(elastic.executor.worker_pids()) == 1
    finally:
        elastic.close()
