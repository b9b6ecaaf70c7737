"""Not evaluating the same thing twice: concurrent duplicates share one evaluation, and a query
that just ran into its deadline is refused at once instead of burning a worker again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from test_engine_service import RUNAWAY, build_store

from kg.errors import QueryTimeoutError
from kg.settings import Settings
from kg.web.dedupe import Coalescer, RecentTimeouts
from kg.web.service import QueryService


def test_concurrent_callers_with_one_key_share_one_evaluation() -> None:
    flights: Coalescer[str] = Coalescer()
    release = threading.Event()
    calls: list[int] = []
    results: list[str] = []

    def evaluate() -> str:
        calls.append(1)
        release.wait(10)
        return "answer"

    def ask() -> None:
        results.append(flights.run("k", evaluate, timeout_s=10))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    threads[0].start()
    while not calls:  # the first caller is evaluating
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    while flights._calls["k"].waiters < 3:  # every other caller is waiting for it
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert results == ["answer"] * 4
    assert flights.shared == 3
    assert flights.run("k", lambda: "again", timeout_s=1) == "again"  # nothing left in flight


def test_waiters_get_the_leaders_error_or_give_up_at_their_deadline() -> None:
    flights: Coalescer[str] = Coalescer()
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def failing() -> str:
        started.set()
        release.wait(10)
        raise ValueError("broken")

    def lead() -> None:
        try:
            flights.run("k", failing, timeout_s=10)
        except ValueError as exc:
            errors.append(exc)

    leader = threading.Thread(target=lead)
    leader.start()
    started.wait(10)
    with pytest.raises(QueryTimeoutError, match="identical one"):
        flights.run("k", lambda: "unused", timeout_s=0.05)

    def follow() -> None:
        try:
            flights.run("k", lambda: "unused", timeout_s=10)
        except ValueError as exc:
            errors.append(exc)

    follower = threading.Thread(target=follow)
    follower.start()
    while flights._calls["k"].waiters < 2:
        time.sleep(0.001)
    release.set()
    leader.join()
    follower.join()
    assert [str(e) for e in errors] == ["broken", "broken"]


def test_recent_timeouts_refuse_the_same_or_a_shorter_deadline_only() -> None:
    recent = RecentTimeouts(memory_s=60)
    recent.check("k", 30)  # nothing remembered: passes
    recent.remember("k", 30)
    with pytest.raises(QueryTimeoutError, match="not started"):
        recent.check("k", 30)
    with pytest.raises(QueryTimeoutError):
        recent.check("k", 5)
    recent.check("k", 31)  # a longer deadline may succeed
    recent.check("other", 30)
    assert recent.refused == 2


def test_recent_timeouts_are_forgotten_after_the_memory() -> None:
    recent = RecentTimeouts(memory_s=0.01)
    recent.remember("k", 30)
    time.sleep(0.05)
    recent.check("k", 30)


def test_a_repeated_runaway_query_is_refused_without_killing_another_worker(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    build_store(store, tmp_path / "data", "one")
    service = QueryService(Settings(store_dir=store, workers=1, query_timeout_s=20))
    try:
        with pytest.raises(QueryTimeoutError, match="within 1 s"):
            service.answer(RUNAWAY, timeout_s=1)
        assert service.executor.restarts == 1
        with pytest.raises(QueryTimeoutError, match="not started"):
            service.answer(RUNAWAY, timeout_s=1)
        assert service.executor.restarts == 1  # no second evaluation, no second kill
        assert service.metrics.outcome("timeout") == 2
        build_store(store, tmp_path / "data", "two")  # a new store version: it runs again
        with pytest.raises(QueryTimeoutError, match="within 1 s"):
            service.answer(RUNAWAY, timeout_s=1)
        assert service.executor.restarts == 2
    finally:
        service.close()
