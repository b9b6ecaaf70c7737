"""Where `kg serve` spends CPU per request: unique look-ups, page misses, page hits, 304s.

On a shared machine wall-clock throughput swings with the neighbours' load; the CPU time the
server's processes spend per request does not. This script builds the curated store (or uses
`--store DIR`), starts `kg serve` on 127.0.0.1, sends each kind of request N times from one
client, and prints per kind: the median wall time, and the CPU milliseconds per request of the
web process and of its query workers (user + system, from psutil).

Kinds: `lookup` (`SELECT ?p ?o WHERE { <entity> ?p ?o }`, each entity once: every one is
evaluated by a worker), `page-miss` (an entity's HTML page, first time), `page-hit` (the same
pages again, from the page cache) and `page-304` (again, with If-None-Match).

Usage: .venv/bin/python bench/profile_endpoint.py [--store DIR] [-n N]
For a flame graph of the web process, run py-spy (installed outside the project) against the
pid printed at the start while this runs.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))

from live_server import launch, load_store  # noqa: E402

from kg.namespaces import ID_BASE  # noqa: E402
from kg.store import require_store  # noqa: E402


def _entities(store_dir: Path, limit: int) -> list[str]:
    """Minted IRIs that are subjects, in IRI order."""
    store = ox.Store.read_only(str(require_store(store_dir)))
    result = store.query(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?s), "{ID_BASE}")) }} ORDER BY ?s LIMIT {limit}'
    )
    assert isinstance(result, ox.QuerySolutions)
    return [str(row[0].value) for row in result if row[0] is not None]


def _cpu(process: psutil.Process) -> tuple[float, float]:
    """CPU seconds (user + system) of the web process, and of all its descendants."""
    own = sum(process.cpu_times()[:2])
    others = 0.0
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a worker replaced meanwhile
            others += sum(child.cpu_times()[:2])
    return own, others


def _measure(name: str, process: psutil.Process, requests: list[Callable[[], None]]) -> str:
    own0, others0 = _cpu(process)
    samples = []
    for send in requests:
        started = time.perf_counter()
        send()
        samples.append(time.perf_counter() - started)
    own1, others1 = _cpu(process)
    n = len(requests)
    return (f"{name:10} wall median {statistics.median(samples) * 1000:7.2f} ms   CPU/request: "
            f"web {(own1 - own0) * 1000 / n:6.3f} ms, workers {(others1 - others0) * 1000 / n:6.3f}"
            f" ms   (n={n})")


def main() -> None:
    """Measure every kind and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--store", type=Path, help="a store directory kg load built")
    parser.add_argument("-n", type=int, default=300, help="requests per kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store_dir = args.store or load_store(Path(tmp) / "store", ROOT / "ontology",
                                             ROOT / "data" / "ttl")
        entities = _entities(store_dir, args.n)
        server = launch(store_dir)
        process = psutil.Process(server.process.pid)
        print(f"kg serve pid {process.pid}, {len(entities)} entities, one client, 127.0.0.1")
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                for _ in range(20):  # warm the workers and the connection
                    client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
                paths = [urllib.parse.urlsplit(iri).path.removeprefix("/heritage-kg")
                         for iri in entities]
                etags: dict[str, str] = {}

                def lookup(iri: str) -> Callable[[], None]:
                    query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"
                    return lambda: client.get("/sparql", params={"query": query}).raise_for_status()

                def page(path: str, conditional: bool = False) -> Callable[[], None]:
                    def send() -> None:
                        headers = {"Accept": "text/html"}
                        etag = etags.get(path) if conditional else None
                        if etag:  # (a server without page ETags gets plain requests)
                            headers["If-None-Match"] = etag
                        response = client.get(path, headers=headers)
                        assert response.status_code == (304 if etag else 200), path
                        etags[path] = response.headers.get("etag", "")
                    return send

                print(_measure("lookup", process, [lookup(i) for i in entities]))
                print(_measure("page-miss", process, [page(p) for p in paths]))
                print(_measure("page-hit", process, [page(p) for p in paths]))
                print(_measure("page-304", process, [page(p, True) for p in paths]))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
