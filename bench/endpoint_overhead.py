"""Overhead of the SPARQL endpoint over a direct pyoxigraph query, on a simple look-up.

Builds the curated store with `kg load` into a temporary directory, starts `kg serve` on
127.0.0.1 (a free port), then times N sequential look-ups (default 500) three ways:

  direct   Store.query on the same build opened read-only, result serialised to SPARQL JSON
  http     httpx GET /sparql?query=… (one keep-alive connection), the same query each time —
           so after the first request it is a cache hit
  http-u   the same, each query made unique (a different LIMIT) so every one is evaluated by a
           worker process (cache misses)

and prints medians and p90 in milliseconds. Usage: .venv/bin/python bench/endpoint_overhead.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))

from live_server import launch, load_store  # noqa: E402

QUERY = (
    "SELECT ?label WHERE {{ <https://w3id.org/heritage-kg/id/site/abbas-mirza-mosque> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }} LIMIT {limit}"
)


def _stats(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (
        f"{name:8} median {statistics.median(samples) * 1000:7.3f} ms   "
        f"p90 {p90 * 1000:7.3f} ms   (n={len(samples)})"
    )


def main(n: int) -> None:
    """Run the three measurements and print them."""
    with tempfile.TemporaryDirectory() as tmp:
        store_dir = load_store(Path(tmp) / "store", ROOT / "ontology", ROOT / "data" / "ttl")
        build = (store_dir / "current").resolve()
        store = ox.Store.read_only(str(build))
        direct: list[float] = []
        for i in range(n):
            started = time.perf_counter()
            result = store.query(
                QUERY.format(limit=1000 + i % 2), use_default_graph_as_union=True
            )
            assert isinstance(result, ox.QuerySolutions)
            body = result.serialize(format=ox.QueryResultsFormat.JSON)
            direct.append(time.perf_counter() - started)
        assert body and b"label" in body
        server = launch(store_dir)
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                for _ in range(20):  # warm up the workers and the connection
                    client.get("/sparql", params={"query": QUERY.format(limit=1)})
                cached: list[float] = []
                for _ in range(n):
                    started = time.perf_counter()
                    response = client.get("/sparql", params={"query": QUERY.format(limit=1000)})
                    cached.append(time.perf_counter() - started)
                    assert response.status_code == 200
                unique: list[float] = []
                for i in range(n):
                    started = time.perf_counter()
                    response = client.get(
                        "/sparql", params={"query": QUERY.format(limit=10_000 + i)}
                    )
                    unique.append(time.perf_counter() - started)
                    assert response.status_code == 200
        finally:
            server.stop()
    print(f"simple look-up, {n} sequential requests, one client, 127.0.0.1")
    print(_stats("direct", direct))
    print(_stats("http", cached))
    print(_stats("http-u", unique))
    overhead_cached = statistics.median(cached) - statistics.median(direct)
    overhead_unique = statistics.median(unique) - statistics.median(direct)
    print(
        f"overhead (median): {overhead_cached * 1000:.3f} ms cached, "
        f"{overhead_unique * 1000:.3f} ms evaluated in a worker"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
