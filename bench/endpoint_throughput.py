"""Latency and throughput of the SPARQL endpoint's query engine, against direct pyoxigraph.

Run: `.venv/bin/python bench/endpoint_throughput.py [--requests 500] [--clients 8]`

1. Builds a store from the curated data (ontology/ + data/ttl/) with the real `kg load`, in a
   temporary directory.
2. Latency of a simple look-up (one site's labels, SPARQL JSON): median of N direct pyoxigraph
   `Store.query(...).serialize()` calls; median of N sequential HTTP requests to `kg serve`
   (KG_WORKERS=2) for the same query repeated (cache hits) and made unique by a comment
   (evaluated by a worker every time); and a bare FastAPI endpoint (uvicorn, constant JSON) as
   the floor of any FastAPI service on this machine.
3. Throughput with `--clients` concurrent loopback clients (threads, one httpx.Client each,
   keep-alive), N requests in all per case: repeated look-up, unique look-ups, bare FastAPI.

The clients are Python threads on the same machine, so they take CPU from the server: the req/s
are lower bounds, comparable with each other, not with wrk. Request counts are bounded.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://w3id.org/heritage-kg/id/site/"
BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/sparql")
def sparql(query: str = "") -> dict[str, object]:
    return {"head": {"vars": ["label"]}, "results": {"bindings": []}}
"""


def main() -> None:
    """Parse the options, build the store, measure, print a small report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per case")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        store_dir = Path(tmp) / "store"
        subprocess.run(
            [sys.executable, "-m", "kg", "load"], cwd=ROOT, check=True, capture_output=True,
            env={**_env(), "KG_STORE_DIR": str(store_dir)},
        )
        build = (store_dir / "current").resolve()
        store = ox.Store.read_only(str(build))
        query = _lookup_query(store)
        print(f"store: {build.name}; look-up: {query}")
        n = args.requests

        direct = _median_ms(lambda: _direct(store, query), n)
        print(f"direct pyoxigraph query+serialize, median of {n}: {direct:.3f} ms")
        with _serve([sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port",
                     str(port := _free_port())], {"KG_STORE_DIR": str(store_dir),
                                                  "KG_WORKERS": "2"}, port) as base:
            with httpx.Client(base_url=base, headers=_ACCEPT, timeout=30) as http:
                repeated = _median_ms(lambda: _get(http, query), n)
                counter = iter(range(10**9))
                unique = _median_ms(lambda: _get(http, f"{query} # {next(counter)}"), n)
            print(f"kg serve, repeated (cache hit), median of {n} sequential: {repeated:.3f} ms")
            print(f"kg serve, unique (worker), median of {n} sequential: {unique:.3f} ms")
            print(f"overhead over direct: cached {repeated - direct:+.3f} ms, "
                  f"evaluated {unique - direct:+.3f} ms")
            rate = _throughput(base, lambda i: query, n, args.clients)
            print(f"kg serve, repeated look-up, {args.clients} clients: {rate:.0f} req/s")
            rate = _throughput(base, lambda i: f"{query} # t{i}", n, args.clients)
            print(f"kg serve, unique look-ups, {args.clients} clients: {rate:.0f} req/s")
        app_file = Path(tmp) / "bare_app.py"
        app_file.write_text(BARE_APP, encoding="utf-8")
        port = _free_port()
        with _serve([sys.executable, "-m", "uvicorn", "--app-dir", tmp, "bare_app:app",
                     "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                    {}, port) as base:
            with httpx.Client(base_url=base, headers=_ACCEPT, timeout=30) as http:
                bare = _median_ms(lambda: _get(http, query), n)
            print(f"bare FastAPI endpoint, median of {n} sequential: {bare:.3f} ms")
            rate = _throughput(base, lambda i: query, n, args.clients)
            print(f"bare FastAPI endpoint, {args.clients} clients: {rate:.0f} req/s")


_ACCEPT = {"Accept": "application/sparql-results+json"}


def _lookup_query(store: ox.Store) -> str:
    """A label look-up for the first site in the store (no invented identifiers)."""
    first = store.query(
        f'SELECT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{SITE}")) }} ORDER BY ?s LIMIT 1',
        use_default_graph_as_union=True,
    )
    assert isinstance(first, ox.QuerySolutions)
    subject = next(iter(first))["s"]
    assert isinstance(subject, ox.NamedNode)
    return (
        "SELECT ?label WHERE { <" + subject.value + "> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )


def _direct(store: ox.Store, query: str) -> None:
    """The baseline: what a worker does for one query."""
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    result.serialize(format=ox.QueryResultsFormat.JSON)


def _get(http: httpx.Client, query: str) -> None:
    """One GET /sparql that must succeed."""
    response = http.get("/sparql", params={"query": query})
    response.raise_for_status()


def _median_ms(call: Callable[[], None], n: int) -> float:
    """Median wall time of `n` calls, after 20 warm-up calls."""
    for _ in range(20):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _throughput(base: str, query_for: Callable[[int], str], n: int, clients: int) -> float:
    """Requests per second for `n` requests shared by `clients` keep-alive client threads."""
    counter = iter(range(n))
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, headers=_ACCEPT, timeout=60) as http:
            _get(http, query_for(-1))  # connect before the clock starts
            barrier.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                response = http.get("/sparql", params={"query": query_for(i)})
                if response.status_code != 200:
                    errors.append(f"{response.status_code}")

    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return n / elapsed


@contextmanager
def _serve(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run a server on 127.0.0.1:`port` until the block ends; yield its base URL."""
    process = subprocess.Popen(
        command, cwd=ROOT, env={**_env(), **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/sparql", params={"query": "ASK {}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{command[2]} did not start")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env() -> dict[str, str]:
    """Our environment without KG_* settings."""
    return {k: v for k, v in os.environ.items() if not re.match(r"KG_", k)}


if __name__ == "__main__":
    main()
