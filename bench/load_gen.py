"""Drive an HTTP server with N loopback clients for a bounded time and count: wrk or Python.

`wrk` (Debian package, installed by `make bench`) is used when present: it is written in C, so
the client costs little of the two cores the server also needs. Without it (CI, `--quick`), a
small threaded Python client does the same replay, slower but bounded the same way.
Both replay a fixed list of request paths (each client starting at its own offset) and may send
`If-None-Match` with the last ETag seen for a path — the conditional requests of a scholar who
comes back to a page.
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.proc import median, run

__all__ = ["Throughput", "drive"]

_WRK_SCRIPT = Path(__file__).with_name("wrk_script.lua")


@dataclass(frozen=True, slots=True)
class Throughput:
    """What the clients saw: answers (error statuses not counted) and answers/s, latency
    percentiles, failures (error statuses and broken connections), and which driver.

    wrk's percentiles include the error answers (its histogram records every response); the
    Python driver's leave them out. Rows carry the failure count beside them.
    """

    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    driver: str


def drive(port: int, paths: list[str], work: Path, *, clients: int, seconds: float,
          max_requests: int, conditional: bool = False, use_wrk: bool = True) -> Throughput:
    """Replay `paths` against 127.0.0.1:`port` with `clients` connections."""
    if use_wrk and shutil.which("wrk"):
        return _wrk(port, paths, work, clients=clients, seconds=seconds, conditional=conditional)
    return _python(port, paths, clients=clients, seconds=seconds, max_requests=max_requests,
                   conditional=conditional)


def _wrk(port: int, paths: list[str], work: Path, *, clients: int, seconds: float,
         conditional: bool) -> Throughput:
    listing = work / "wrk-paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    env = {"BENCH_PATHS": str(listing), "BENCH_CONDITIONAL": "1" if conditional else "0",
           "BENCH_THREADS": str(clients)}
    result = run(["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
                  "--timeout", "30s", "-s", _WRK_SCRIPT, f"http://127.0.0.1:{port}"],
                 env=env, timeout_s=seconds + 120).check("wrk")
    line = next(x for x in reversed(result.stdout.splitlines()) if x.startswith("{"))
    summary = json.loads(line)
    duration = summary["duration_us"] / 1e6
    # Only answers count: an error status (a 503 for a query past its deadline, say) comes back
    # fast and would otherwise raise the rate of the server that gives up soonest.
    answered = max(0, summary["requests"] - summary["status_errors"])
    return Throughput(
        requests=answered,
        per_second=answered / duration if duration else 0.0,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        failures=summary["status_errors"] + summary["socket_errors"],
        driver="wrk",
    )


def _python(port: int, paths: list[str], *, clients: int, seconds: float, max_requests: int,
            conditional: bool) -> Throughput:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    budget = [max_requests]
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        etags: dict[str, str] = {}
        position = offset
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path = paths[position % len(paths)]
            position += 1
            headers = {"Accept": "text/html" if path.startswith("/id/")
                       else "application/sparql-results+json"}
            if conditional and path in etags:
                headers["If-None-Match"] = etags[path]
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status >= 400:
                bad += 1
                continue
            mine.append(time.perf_counter() - started)
            etag = response.getheader("ETag")
            if conditional and response.status == 200 and etag:
                etags[path] = etag
        connection.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i * 7919,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return Throughput(
        requests=len(ordered),
        per_second=len(ordered) / elapsed if elapsed else 0.0,
        p50_ms=(median(ordered) if ordered else 0.0) * 1000,
        p99_ms=p99 * 1000,
        failures=failures,
        driver="python",
    )
