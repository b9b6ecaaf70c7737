"""The query engine through the REAL server (`kg serve` on 127.0.0.1) and real HTTP clients.

A runaway query stopped at its deadline with its worker process proven gone; SERVICE and LOAD
refused unless allow-listed; answers that keep coming, without a single failure, while `kg load`
swaps the store; cache hits visible in /metrics, 304 on a matching ETag, a new ETag after a swap.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from live_server import LiveServer, load_store

EX = "http://example.org/"
MARKER = f"SELECT ?v WHERE {{ <{EX}marker> <{EX}value> ?v }}"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n0 ?o }"
)
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
StartServer = Callable[..., LiveServer]  # the `start_server` fixture of conftest.py


def _metric(server: LiveServer, name: str) -> float:
    """One unlabelled sample of /metrics."""
    text = httpx.get(server.url("/metrics"), timeout=10).text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, text
    return float(match[1])


def _values(response: httpx.Response) -> list[str]:
    """The ?v values of a SPARQL JSON answer."""
    assert response.status_code == 200, response.text
    return [row["v"]["value"] for row in response.json()["results"]["bindings"]]


def _marker_data(directory: Path, marker: str) -> Path:
    """A one-file dataset whose only fact is the marker value."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "marker.ttl").write_text(
        f'<{EX}marker> <{EX}value> "{marker}" .\n', encoding="utf-8"
    )
    return directory


def test_runaway_query_is_stopped_and_its_worker_is_gone(server: LiveServer) -> None:
    before = set(httpx.get(server.url("/health"), timeout=10).json()["worker_pids"])
    assert before and all(psutil.pid_exists(pid) for pid in before)
    response = httpx.get(
        server.url("/sparql"),
        params={"query": RUNAWAY, "timeout": "2"},
        headers=JSON_RESULTS,
        timeout=30,
    )
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "QueryTimeoutError"
    assert "did not finish within 2 s" in body["message"]
    health = httpx.get(server.url("/health"), timeout=10).json()
    after = set(health["worker_pids"])
    gone = before - after
    assert len(gone) == 1 and len(after) == len(before)
    assert not any(psutil.pid_exists(pid) for pid in gone)
    assert health["status"] == "ok" and health["worker_restarts"] >= 1
    answered = httpx.get(server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert answered.status_code == 200 and answered.json()["boolean"] is True
    assert _metric(server, "kg_sparql_timeouts_total") >= 1


def test_service_and_load_are_refused(server: LiveServer) -> None:
    refused_query = httpx.post(
        server.url("/sparql"),
        data={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
        headers=JSON_RESULTS,
        timeout=30,
    )
    assert refused_query.status_code == 403, refused_query.text
    assert "allowlist" in refused_query.json()["message"]
    refusals = _metric(server, "kg_sparql_refusals_total")
    assert refusals >= 1
    refused_load = httpx.post(
        server.url("/update"),
        data={"update": "LOAD <http://127.0.0.1:9/data.ttl>"},
        headers=server.auth(),
        timeout=30,
    )
    assert refused_load.status_code == 403, refused_load.text


def test_allowlisted_service_passes_the_guard(
    loaded_store: Path, start_server: StartServer
) -> None:
    """Nothing listens on port 9: the call fails, but it is not refused (no 403)."""
    server = start_server(loaded_store, federation_allowlist='["http://127.0.0.1:9/"]')
    query = "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    silent = httpx.get(
        server.url("/sparql"),
        params={"query": query},
        headers=JSON_RESULTS,
        timeout=30,
    )
    assert silent.status_code == 200, silent.text
    loud = httpx.get(
        server.url("/sparql"),
        params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
        timeout=30,
    )
    assert loud.status_code not in (200, 403)
    assert _metric(server, "kg_sparql_refusals_total") == 0
    elsewhere = httpx.get(
        server.url("/sparql"),
        params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.2:9/sparql> { ?s ?p ?o } }"},
        timeout=30,
    )
    assert elsewhere.status_code == 403


def test_cache_hit_and_conditional_request(server: LiveServer) -> None:
    query = "SELECT (COUNT(*) AS ?v) WHERE { ?s ?p ?o } # cache"
    hits = _metric(server, "kg_sparql_cache_hits_total")
    first = httpx.get(server.url("/sparql"), params={"query": query}, headers=JSON_RESULTS)
    second = httpx.get(server.url("/sparql"), params={"query": query}, headers=JSON_RESULTS)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    etag = first.headers["etag"]
    assert etag == second.headers["etag"]
    assert _metric(server, "kg_sparql_cache_hits_total") == hits + 1
    conditional = httpx.get(
        server.url("/sparql"),
        params={"query": query},
        headers={**JSON_RESULTS, "If-None-Match": etag},
    )
    assert (conditional.status_code, conditional.content) == (304, b"")
    stale = httpx.get(
        server.url("/sparql"),
        params={"query": query},
        headers={**JSON_RESULTS, "If-None-Match": '"not-this-one"'},
    )
    assert stale.status_code == 200


def test_queries_keep_being_answered_while_kg_load_swaps_stores(
    tmp_path: Path, start_server: StartServer
) -> None:
    """4 client threads x 50 requests while the real `kg load` swaps the store three times."""
    store_dir = load_store(tmp_path / "store", _marker_data(tmp_path / "data-v0", "v0"))
    server = start_server(store_dir, admin_token=None)
    etag_before = httpx.get(server.url("/sparql"), params={"query": MARKER}).headers["etag"]
    failures: list[str] = []
    seen: list[tuple[int, str]] = []  # (phase, marker)
    swapped = threading.Barrier(5, timeout=180)

    def client(n: int) -> None:
        with httpx.Client(base_url=server.base_url, headers=JSON_RESULTS, timeout=60) as http:
            for phase in range(4):
                for i in range(13 if phase % 2 else 12):
                    # half repeat (answered from the cache), half are unique (workers)
                    query = MARKER if i % 2 else f"{MARKER} # client {n} {phase}.{i}"
                    try:
                        response = http.get("/sparql", params={"query": query})
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                        continue
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text}")
                        continue
                    seen.extend((phase, v) for v in _values(response))
                if phase < 3:
                    swapped.wait()  # the next phase starts once swap `phase + 1` is done

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for k in (1, 2, 3):
        load_store(store_dir, _marker_data(tmp_path / f"data-v{k}", f"v{k}"))  # during phase k-1
        swapped.wait()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(seen) == 200
    assert all(marker in {f"v{phase}", f"v{phase + 1}"} for phase, marker in seen)
    assert {marker for phase, marker in seen if phase == 3} == {"v3"}
    after = httpx.get(server.url("/sparql"), params={"query": MARKER})
    assert json.loads(after.content)["results"]["bindings"][0]["v"]["value"] == "v3"
    assert after.headers["etag"] != etag_before
    health = httpx.get(server.url("/health")).json()
    assert health["store_version"] == (store_dir / "current").resolve().name


def test_a_short_query_is_answered_while_a_long_one_holds_every_worker(
    start_server: StartServer, loaded_store: Path
) -> None:
    """One worker at start, two at most: a runaway query does not make short ones wait."""
    server = start_server(loaded_store, workers="1", max_workers="2")
    statuses: list[int] = []

    def run_away() -> None:
        response = httpx.get(
            server.url("/sparql"), params={"query": RUNAWAY, "timeout": "5"}, timeout=30
        )
        statuses.append(response.status_code)

    runner = threading.Thread(target=run_away)
    runner.start()
    try:
        for _ in range(1000):  # until the runaway query holds the one worker
            health = httpx.get(server.url("/health"), timeout=10).json()
            if health["busy_workers"] == 1 or not runner.is_alive():
                break
            threading.Event().wait(0.01)
        assert health["busy_workers"] == 1 and health["workers"] == 1
        answered = httpx.get(
            server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"}, timeout=30
        )
        assert answered.status_code == 200 and answered.json()["boolean"] is True
        assert runner.is_alive()
        assert httpx.get(server.url("/health"), timeout=10).json()["workers"] == 2
    finally:
        runner.join()
    assert statuses == [503]  # the runaway was still stopped at its deadline
