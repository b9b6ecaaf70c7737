"""Counters and a latency histogram for the SPARQL endpoint, rendered as Prometheus text.

Hand-written rather than `prometheus_client`: a handful of counters guarded by one lock is all
the endpoint needs, and the text format (version 0.0.4) is small and stable.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

__all__ = ["LATENCY_BUCKETS_S", "PROMETHEUS_MEDIA_TYPE", "Metrics"]

PROMETHEUS_MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                     10.0, 30.0, 60.0)


class Metrics:
    """What the endpoint counts: queries by outcome, latency, cache use, worker restarts.

    Outcomes: ok, not_modified, syntax_error, refused, too_large, not_acceptable, bad_request,
    timeout, busy, store_unavailable, error. `worker_restarts` and the live-worker gauge are read
    from the executor at render time through `gauges`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: Counter[str] = Counter()
        self._bucket_counts = [0] * len(LATENCY_BUCKETS_S)
        self._latency_sum = 0.0
        self._latency_count = 0
        self.cache_hits = 0
        self.cache_misses = 0
        self.gauges: dict[str, Callable[[], float]] = {}

    def outcome(self, name: str) -> int:
        """How many queries ended with outcome `name` so far."""
        with self._lock:
            return self._outcomes[name]

    def record(self, outcome: str, seconds: float, *, cache_hit: bool | None = None) -> None:
        """Count one query: its outcome, its wall time, and whether the cache answered it."""
        with self._lock:
            self._outcomes[outcome] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            for i, bound in enumerate(LATENCY_BUCKETS_S):
                if seconds <= bound:
                    self._bucket_counts[i] += 1
            if cache_hit is True:
                self.cache_hits += 1
            elif cache_hit is False:
                self.cache_misses += 1

    def render(self) -> str:
        """The Prometheus text exposition of every metric."""
        with self._lock:
            outcomes = dict(self._outcomes)
            buckets = list(self._bucket_counts)
            total, count = self._latency_sum, self._latency_count
            hits, misses = self.cache_hits, self.cache_misses
        lines = [
            "# HELP kg_sparql_queries_total SPARQL queries answered, by outcome.",
            "# TYPE kg_sparql_queries_total counter",
        ]
        for name in sorted(outcomes):
            lines.append(f'kg_sparql_queries_total{{outcome="{name}"}} {outcomes[name]}')
        lines += [
            "# HELP kg_sparql_timeouts_total Queries stopped at their deadline.",
            "# TYPE kg_sparql_timeouts_total counter",
            f"kg_sparql_timeouts_total {outcomes.get('timeout', 0)}",
            "# HELP kg_sparql_refusals_total Queries refused (SERVICE/LOAD off the allowlist).",
            "# TYPE kg_sparql_refusals_total counter",
            f"kg_sparql_refusals_total {outcomes.get('refused', 0)}",
            "# HELP kg_sparql_cache_hits_total Answers served from the result cache.",
            "# TYPE kg_sparql_cache_hits_total counter",
            f"kg_sparql_cache_hits_total {hits}",
            "# HELP kg_sparql_cache_misses_total Cacheable answers that had to be evaluated.",
            "# TYPE kg_sparql_cache_misses_total counter",
            f"kg_sparql_cache_misses_total {misses}",
            "# HELP kg_sparql_query_seconds Wall time of a query through the service.",
            "# TYPE kg_sparql_query_seconds histogram",
        ]
        for bound, bucket in zip(LATENCY_BUCKETS_S, buckets, strict=True):
            lines.append(f'kg_sparql_query_seconds_bucket{{le="{bound:g}"}} {bucket}')
        lines += [
            f'kg_sparql_query_seconds_bucket{{le="+Inf"}} {count}',
            f"kg_sparql_query_seconds_sum {total:.6f}",
            f"kg_sparql_query_seconds_count {count}",
        ]
        for name, read in sorted(self.gauges.items()):
            kind = "counter" if name.endswith("_total") else "gauge"
            lines += [f"# TYPE {name} {kind}", f"{name} {read():g}"]
        return "\n".join(lines) + "\n"
