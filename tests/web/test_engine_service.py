"""`QueryService` on a real store built by `kg.store`, with real worker processes.

These exercise the engine without HTTP: deadlines that kill the worker (proven gone with psutil),
answers that follow `kg load` swaps, the cache and its ETags, the dataset rules and the errors the
router maps to statuses. The same behaviour through the real server is in test_engine_http.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from kg.dataset import SourceFile
from kg.errors import (
    NotAcceptableError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
    RequestTooLargeError,
    ServiceBusyError,
    StoreNotBuiltError,
    UserInputError,
)
from kg.settings import Settings
from kg.store import load_dataset
from kg.web.service import FormatChoice, QueryService

EX = "http://example.org/"
GRAPH_A = EX + "graph/a"
GRAPH_B = EX + "graph/b"
# A cross product of the whole store five times over: far beyond any deadline used here.
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n0 ?o }"
)
MARKER = f"SELECT ?v WHERE {{ <{EX}marker> <{EX}value> ?v }}"


def build_store(store_dir: Path, work: Path, marker: str, subjects: int = 40) -> str:
    """Load two small named graphs (a marker value and `subjects` items) as a new live build."""
    work.mkdir(parents=True, exist_ok=True)
    a, b = work / f"a-{marker}.ttl", work / f"b-{marker}.ttl"
    a.write_text(f'<{EX}marker> <{EX}value> "{marker}" .\n', encoding="utf-8")
    b.write_text(
        "".join(
            f'<{EX}item{i}> <{EX}label> "item {i}" ; <{EX}rank> {i} .\n' for i in range(subjects)
        ),
        encoding="utf-8",
    )
    report = load_dataset(
        [SourceFile(a, GRAPH_A), SourceFile(b, GRAPH_B)], store_dir=store_dir
    )
    return report.build_dir.name


def values(body: bytes, var: str = "v") -> list[str]:
    """The values of `var` in a SPARQL JSON result."""
    rows = json.loads(body)["results"]["bindings"]
    return [row[var]["value"] for row in rows if var in row]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built once for the module, with marker "one"."""
    root = tmp_path_factory.mktemp("engine")
    build_store(root / "store", root / "data", "one")
    return root / "store"


@pytest.fixture(scope="module")
def service(store: Path) -> Iterator[QueryService]:
    """One service with two workers for the module; closed at the end."""
    settings = Settings(store_dir=store, workers=2, query_timeout_s=20)
    service = QueryService(settings)
    yield service
    service.close()


def test_select_construct_ask_in_their_formats(service: QueryService) -> None:
    answer = service.answer(MARKER)
    assert (answer.status, values(answer.body)) == (200, ["one"])
    assert answer.media_type == "application/sparql-results+json"
    assert answer.store_version == service.store_version()
    csv = service.answer(MARKER, accept="text/csv")
    assert csv.body.decode().splitlines() == ["v", "one"]
    graph = service.answer(f"CONSTRUCT WHERE {{ <{EX}marker> ?p ?o }}")
    assert graph.media_type == "text/turtle" and b'"one"' in graph.body
    ask = service.answer(f"ASK {{ <{EX}marker> ?p ?o }}", accept=FormatChoice())
    assert json.loads(ask.body)["boolean"] is True


def test_default_graph_is_the_union_unless_the_request_or_query_names_graphs(
    service: QueryService,
) -> None:
    count = "SELECT (COUNT(*) AS ?v) WHERE { ?s ?p ?o }"
    in_all = int(values(service.answer(count).body)[0])
    only_a = service.answer(count, default_graph_uris=[GRAPH_A])
    assert values(only_a.body) == ["1"]
    # naming only named graphs leaves the default graph empty, per the protocol
    named = service.answer(count, named_graph_uris=[GRAPH_A])
    assert values(named.body) == ["0"]
    graphs = service.answer(
        "SELECT DISTINCT ?v WHERE { GRAPH ?v { ?s ?p ?o } }", named_graph_uris=[GRAPH_B]
    )
    assert values(graphs.body) == [GRAPH_B]
    from_a = service.answer(f"SELECT (COUNT(*) AS ?v) FROM <{GRAPH_A}> WHERE {{ ?s ?p ?o }}")
    assert values(from_a.body) == ["1"]
    assert in_all > 80


def test_prefixes_are_predeclared_and_a_query_may_override_them(service: QueryService) -> None:
    answer = service.answer("SELECT (hk:x AS ?v) WHERE {}")
    assert values(answer.body) == ["https://w3id.org/heritage-kg/ontology#x"]
    own = service.answer("PREFIX hk: <http://example.org/> SELECT (hk:x AS ?v) WHERE {}")
    assert values(own.body) == ["http://example.org/x"]


def test_syntax_error_carries_the_parsers_position(service: QueryService) -> None:
    with pytest.raises(QuerySyntaxError, match=r"line 2, column \d+"):
        service.answer("SELECT *\nWHERE { ?s ?p }")


def test_refusals_and_bad_requests(service: QueryService, store: Path) -> None:
    with pytest.raises(QueryRefusedError):
        service.answer("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(NotAcceptableError):
        service.answer(MARKER, accept="text/turtle")
    with pytest.raises(NotAcceptableError):
        service.answer(MARKER, accept="image/png")
    with pytest.raises(UserInputError, match="timeout"):
        service.answer(MARKER, timeout_s=0)
    with pytest.raises(UserInputError, match="graph IRI"):
        service.answer(MARKER, default_graph_uris=["not an iri"])
    small = QueryService(Settings(store_dir=store, workers=1, max_query_bytes=20))
    try:
        with pytest.raises(RequestTooLargeError):
            small.answer(MARKER)
    finally:
        small.close()
    assert service.metrics.outcome("refused") >= 1


def test_allowlisted_service_is_not_refused_by_the_guard(store: Path) -> None:
    """A loopback IRI nothing listens on: the guard lets it through, evaluation then fails."""
    allowed = QueryService(
        Settings(store_dir=store, workers=1, federation_allowlist=("http://127.0.0.1:9/",))
    )
    try:
        answer = allowed.answer(
            "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            timeout_s=10,
        )
        assert answer.status == 200  # SILENT: the failed call is an empty solution
        assert allowed.metrics.outcome("refused") == 0
    finally:
        allowed.close()


def test_runaway_query_is_stopped_and_its_worker_is_gone(service: QueryService) -> None:
    before = set(service.executor.worker_pids())
    with pytest.raises(QueryTimeoutError, match="within 2 s"):
        service.answer(RUNAWAY, timeout_s=2)
    after = set(service.executor.worker_pids())
    gone = before - after
    assert len(gone) == 1 and len(after) == len(before)
    (pid,) = gone
    assert service.executor.killed_pids[-1] == pid
    assert not psutil.pid_exists(pid)
    assert values(service.answer(MARKER, timeout_s=5).body) == ["one"]
    assert service.metrics.outcome("timeout") == 1
    assert "kg_sparql_worker_restarts_total 1" in service.metrics.render()


def test_a_request_cannot_extend_the_configured_deadline(store: Path) -> None:
    strict = QueryService(Settings(store_dir=store, workers=1, query_timeout_s=1))
    try:
        with pytest.raises(QueryTimeoutError, match="within 1 s"):
            strict.answer(RUNAWAY, timeout_s=60)
    finally:
        strict.close()


def test_a_busy_service_refuses_after_a_bounded_wait(store: Path) -> None:
    """One worker, one admitted query: a second query waits briefly, then gets ServiceBusyError."""
    busy = QueryService(
        Settings(store_dir=store, workers=1, max_concurrent_queries=1, query_timeout_s=3)
    )
    timeouts: list[QueryTimeoutError] = []

    def run_away() -> None:
        try:
            busy.answer(RUNAWAY)
        except QueryTimeoutError as exc:
            timeouts.append(exc)

    runner = threading.Thread(target=run_away)
    try:
        runner.start()
        for _ in range(100_000):  # until the runaway query holds the one worker
            if busy.executor.busy_workers() == 1 or not runner.is_alive():
                break
            threading.Event().wait(0.001)
        assert busy.executor.busy_workers() == 1
        with pytest.raises(ServiceBusyError, match="retry"):
            busy.answer(f"{MARKER} # not cached", timeout_s=3)
        runner.join()
        assert busy.metrics.outcome("busy") == 1
        assert len(timeouts) == 1 and not isinstance(timeouts[0], ServiceBusyError)
    finally:
        busy.close()


def hold_with_runaway(service: QueryService, errors: list[QueryTimeoutError]) -> threading.Thread:
    """Start a runaway query (5 s deadline) in a thread; return once it holds a worker."""

    def run_away() -> None:
        try:
            service.answer(RUNAWAY, timeout_s=5)
        except QueryTimeoutError as exc:
            errors.append(exc)

    runner = threading.Thread(target=run_away)
    runner.start()
    for _ in range(100_000):  # until the runaway query holds a worker
        if service.executor.busy_workers() == 1 or not runner.is_alive():
            break
        threading.Event().wait(0.001)
    assert service.executor.busy_workers() == 1
    return runner


def test_a_long_query_does_not_hold_up_short_ones(store: Path) -> None:
    """Every worker on a long job: another starts for the next request, up to `max_workers`."""
    elastic = QueryService(
        Settings(store_dir=store, workers=1, max_workers=2, query_timeout_s=20)
    )
    errors: list[QueryTimeoutError] = []
    try:
        assert len(elastic.executor.worker_pids()) == 1
        runner = hold_with_runaway(elastic, errors)
        answer = elastic.answer(f"{MARKER} # while the runaway runs", timeout_s=4)
        assert values(answer.body) == ["one"]
        assert runner.is_alive() and elastic.executor.busy_workers() == 1
        assert len(elastic.executor.worker_pids()) == 2
        # At the bound: with both workers taken, a third request waits and gives up; no third.
        second = asyncio.run(elastic.executor.claim(timeout_s=5))
        assert second is not None
        with pytest.raises(ServiceBusyError, match="No query worker became free"):
            elastic.answer(f"{MARKER} # at the bound", timeout_s=0.5)
        assert len(elastic.executor.worker_pids()) == 2
        elastic.executor.release(second)
        runner.join()
        # The runaway was still killed at its deadline and its worker replaced.
        assert len(errors) == 1 and "within 5 s" in str(errors[0])
        assert elastic.executor.restarts == 1 and len(elastic.executor.worker_pids()) == 2
        assert not psutil.pid_exists(elastic.executor.killed_pids[-1])
    finally:
        elastic.close()


def test_a_max_workers_of_one_keeps_a_fixed_pool(store: Path) -> None:
    """`max_workers` equal to `workers`: a fixed pool, the request waits and gives up as before."""
    fixed = QueryService(Settings(store_dir=store, workers=1, max_workers=1, query_timeout_s=20))
    errors: list[QueryTimeoutError] = []
    try:
        runner = hold_with_runaway(fixed, errors)
        with pytest.raises(ServiceBusyError, match="No query worker became free"):
            fixed.answer(f"{MARKER} # fixed pool", timeout_s=0.5)
        assert len(fixed.executor.worker_pids()) == 1
        runner.join()
        assert len(errors) == 1
    finally:
        fixed.close()


def test_cache_hits_etags_and_conditional_answers(service: QueryService) -> None:
    query = f"SELECT ?v WHERE {{ <{EX}marker> <{EX}value> ?v }} # cache test"
    hits = service.metrics.cache_hits
    first = service.answer(query)
    second = service.answer(query + "\n")
    assert (first.cached, second.cached) == (False, True)
    assert first.etag == second.etag and first.body == second.body
    assert service.metrics.cache_hits == hits + 1
    conditional = service.answer(query, if_none_match=first.etag)
    assert (conditional.status, conditional.body) == (304, b"")
    other_format = service.answer(query, accept="text/csv")
    assert other_format.etag != first.etag
    volatile = "SELECT (STRUUID() AS ?v) WHERE {}"
    assert service.answer(volatile).body != service.answer(volatile).body


def test_answers_follow_store_swaps_without_failures(tmp_path: Path) -> None:
    """4 client threads x 50 queries while `kg load` swaps the store three times: no failure.

    Each swap runs while the clients are querying; once it has finished, no client ever sees
    the store before it again.
    """
    store_dir = tmp_path / "store"
    build_store(store_dir, tmp_path / "data", "v0")
    service = QueryService(Settings(store_dir=store_dir, workers=2, query_timeout_s=20))
    seen: list[tuple[int, int, str]] = []  # (phase, request in the phase, marker)
    failures: list[BaseException] = []
    swapped = threading.Barrier(5, timeout=120)

    def client(n: int) -> None:
        for phase in range(4):
            for i in range(13 if phase % 2 else 12):
                try:
                    # half the requests repeat (cache), half are unique (workers)
                    text = MARKER if i % 2 else f"{MARKER} # client {n} {phase}.{i}"
                    seen.extend((phase, i, v) for v in values(service.answer(text).body))
                except BaseException as exc:
                    failures.append(exc)
            if phase < 3:
                swapped.wait()  # the next phase starts once swap `phase + 1` has finished

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        versions = []
        for k in (1, 2, 3):
            # runs while the clients are in phase k - 1
            versions.append(build_store(store_dir, tmp_path / "data", f"v{k}"))
            swapped.wait()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(seen) == 200 and len(set(versions)) == 3
        # phase p runs after swap p and during swap p + 1: nothing older than v{p} is seen
        assert all(marker in {f"v{phase}", f"v{phase + 1}"} for phase, _, marker in seen)
        assert {marker for phase, _, marker in seen if phase == 3} == {"v3"}
        assert service.store_version() == versions[-1]
        final = service.answer(MARKER)
        assert (values(final.body), final.store_version) == (["v3"], versions[-1])
    finally:
        service.close()


def test_no_store_yet(tmp_path: Path) -> None:
    service = QueryService(Settings(store_dir=tmp_path / "nothing", workers=1))
    try:
        with pytest.raises(StoreNotBuiltError):
            service.answer(MARKER)
    finally:
        service.close()
