"""The query service behind `/sparql`: guard, cache, executor and metrics, in that order.

The router (`kg.web.sparql`) parses the protocol and negotiates formats; it then calls
`QueryService.answer` once per request and turns the `Answer` (or a `kg.errors` exception) into
an HTTP response. Everything about *evaluating* a query lives here and in the modules it calls:

1. `kg.web.cache` answers a repeated query on the same store version without evaluating it (or
   reading it: what is in the cache passed the guard when it was computed);
2. `kg.web.guard` refuses SERVICE/LOAD off the allowlist and over-long texts;
3. `kg.web.executor` evaluates in a worker process that is killed at the deadline;
4. `kg.web.metrics` counts the outcome and the latency.

Dataset: the default graph is the union of all graphs, as for `kg query`, unless the request
names graphs (`default-graph-uri` / `named-graph-uri`: then exactly those, per the SPARQL
protocol, and a kind the request leaves out is empty) or the query has its own FROM / FROM NAMED.
The canonical prefixes of `kg.namespaces` are predeclared; a query's own PREFIX lines win.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.backends.protocol import Dataset
from kg.errors import (
    KgError,
    NotAcceptableError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
    RequestTooLargeError,
    ServiceBusyError,
    StoreError,
    StoreNotBuiltError,
    UserInputError,
)
from kg.settings import Settings
from kg.web.cache import (
    CachedAnswer,
    CacheKey,
    ResultCache,
    body_etag,
    etag_matches,
    is_deterministic,
    normalise_query,
)
from kg.web.dedupe import Coalescer, RecentTimeouts
from kg.web.executor import Executor
from kg.web.guard import QueryFacts, check_query
from kg.web.live_build import LiveBuild
from kg.web.metrics import Metrics
from kg.web.page_cache import PageCache, RenderedPage
from kg.web.worker import Job, Outcome

if TYPE_CHECKING:
    from kg.backends.remote import RemoteBackend

__all__ = ["Answer", "FormatChoice", "QueryService", "raise_for"]

SPARQL_JSON = "application/sparql-results+json"
_REMOTE_ADMISSION_S = 1.0  # how long a request beyond `max_concurrent_queries` may wait
TURTLE = "text/turtle"


@dataclass(frozen=True, slots=True)
class FormatChoice:
    """The negotiated media type for each kind of result; the query form decides which is used.

    The router cannot know before parsing whether a query returns solutions (SELECT, ASK) or a
    graph (CONSTRUCT, DESCRIBE), so it negotiates both and passes the pair. None means the
    client accepts no format of that kind (a query of that form then gets 406).
    """

    solutions: str | None = SPARQL_JSON
    graph: str | None = TURTLE


_DEFAULT_FORMATS = FormatChoice()


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished answer: 200 with the serialised body, or 304 (empty body) on a matching ETag."""

    status: int
    body: bytes
    media_type: str
    etag: str
    store_version: str
    cached: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    """One query to evaluate on one build: its cache key and, once guarded, its worker job."""

    build: Path
    query: str
    formats: FormatChoice
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    key: CacheKey
    cacheable: bool
    facts: QueryFacts | None = None

    @property
    def version(self) -> str:
        """The store version the answer belongs to."""
        return self.build.name

    def guarded(self, facts: QueryFacts) -> _Plan:
        """This plan once the guard has let the query through (and said what it names)."""
        return replace(self, facts=facts)

    def job(self) -> Job:
        """The worker job; the dataset rules are in the module docstring."""
        assert self.facts is not None, "the guard reads every query before it is evaluated"
        names_graphs = bool(self.default_graphs or self.named_graphs)
        return Job(
            build_dir=str(self.build),
            query=self.query,
            union=not (names_graphs or self.facts.names_dataset),
            default_graphs=self.default_graphs if names_graphs else None,
            named_graphs=self.named_graphs if names_graphs else None,
            solutions_format=self.formats.solutions,
            graph_format=self.formats.graph,
        )


class QueryService:
    """Answers SPARQL queries on the live store; one per app, thread-safe, `close()` on shutdown.

    The worker processes start here (not at import time); `close()` stops them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.live = LiveBuild(settings.store_dir)
        self.metrics = Metrics()
        self.cache = ResultCache(settings.cache_max_bytes)
        self.executor = Executor(
            workers=settings.workers,
            max_workers=settings.max_workers,
            max_concurrent=settings.max_concurrent_queries,
        )
        self.metrics.gauges["kg_sparql_worker_restarts_total"] = lambda: self.executor.restarts
        self.metrics.gauges["kg_sparql_workers_live"] = lambda: len(self.executor.worker_pids())
        # Identical cache-missing queries in flight are evaluated once; recent runaways not rerun.
        self.flights: Coalescer[Outcome] = Coalescer()
        self.timeouts = RecentTimeouts()
        self.metrics.gauges["kg_sparql_shared_evaluations_total"] = lambda: self.flights.shared
        self.metrics.gauges["kg_sparql_recent_timeout_refusals_total"] = (
            lambda: self.timeouts.refused
        )
        # Rendered entity pages (every format), keyed by store version, path and variant; pages
        # being made are made once however many readers ask at the same time.
        self.page_cache = PageCache(settings.cache_max_bytes)
        self.page_flights: Coalescer[RenderedPage | None] = Coalescer()
        self.metrics.gauges["kg_page_cache_hits_total"] = lambda: self.page_cache.hits
        self.metrics.gauges["kg_page_cache_misses_total"] = lambda: self.page_cache.misses
        self.metrics.gauges["kg_page_not_modified_total"] = lambda: self.page_cache.not_modified
        self.metrics.gauges["kg_page_cache_bytes"] = lambda: self.page_cache.size_bytes
        # KG_BACKEND=sparql: queries go to the remote store over HTTP, behind the same guard,
        # cache and deadline; the workers above then stay idle.
        self.remote: RemoteBackend | None = None
        self._remote_slots = threading.BoundedSemaphore(settings.max_concurrent_queries)
        if settings.backend == "sparql":
            from kg.backends.remote import RemoteBackend

            self.remote = RemoteBackend.from_settings(settings)

    def store_version(self) -> str:
        """The live store version (build name, or the remote load's id); `StoreNotBuiltError`."""
        if self.remote is not None:
            return self.remote.version()
        return self.live.current().name

    def answer(
        self,
        query: str,
        *,
        accept: FormatChoice | str = _DEFAULT_FORMATS,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout_s: float | None = None,
        if_none_match: str | None = None,
    ) -> Answer:
        """Evaluate `query` (or reuse its cached answer) and return it serialised.

        `accept` is a `FormatChoice` or one media type (used for whichever kind it names).
        `timeout_s` may shorten the configured deadline, never extend it. Raises
        `RequestTooLargeError`, `QueryRefusedError`, `QuerySyntaxError` (the parser's message and
        position), `NotAcceptableError`, `QueryTimeoutError` / `ServiceBusyError`,
        `StoreNotBuiltError` and `StoreError`.
        """
        started = time.perf_counter()
        try:
            answer = self._answer(
                query,
                formats=_format_choice(accept),
                default_graphs=tuple(default_graph_uris),
                named_graphs=tuple(named_graph_uris),
                timeout_s=self._deadline(timeout_s),
                if_none_match=if_none_match,
            )
        except KgError as exc:
            self.metrics.record(_outcome_of(exc), time.perf_counter() - started)
            raise
        self._record(answer, query, started)
        return answer

    def close(self) -> None:
        """Stop the worker processes (and close the remote store's connections)."""
        self.executor.close()
        if self.remote is not None:
            self.remote.close()

    def _deadline(self, requested: float | None) -> float:
        """The configured deadline, or the request's own if it asks for less."""
        limit = self.settings.query_timeout_s
        if requested is None:
            return limit
        if not requested > 0:
            raise UserInputError(f"timeout must be a positive number of seconds, not {requested}.")
        return min(limit, requested)

    def _answer(
        self,
        query: str,
        *,
        formats: FormatChoice,
        default_graphs: tuple[str, ...],
        named_graphs: tuple[str, ...],
        timeout_s: float,
        if_none_match: str | None,
    ) -> Answer:
        """Cache → guard → executor; see the module docstring for the dataset rules.

        The cache is asked first: an answer in it passed the guard when it was computed (the
        guard depends only on the text and this process's settings), so a repeated query — and a
        conditional request for it — is answered without reading the text again.
        """
        if self.remote is not None:
            return self._answer_remote(
                self.remote,
                query,
                formats=formats,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                union=not (default_graphs or named_graphs or self._guard(query).names_dataset),
                timeout_s=timeout_s,
                if_none_match=if_none_match,
            )
        plan = self._plan(query, formats, default_graphs, named_graphs)
        if plan.cacheable and (reused := self._reuse(plan.key, plan.version, if_none_match)):
            return reused
        plan = plan.guarded(self._guard(query))
        if plan.cacheable:
            self.timeouts.check(plan.key, timeout_s)
            outcome = self.flights.run(
                plan.key, lambda: self._evaluate(plan, timeout_s), timeout_s=timeout_s
            )
        else:
            outcome = self.executor.run(plan.job(), timeout_s=timeout_s)
        if outcome.kind == "store" and not plan.build.exists():
            # `kg load` swapped twice and removed this build mid-query: read the live one.
            return self._answer(
                query,
                formats=formats,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                timeout_s=timeout_s,
                if_none_match=if_none_match,
            )
        return self._finish(plan, outcome, if_none_match)

    async def try_answer_async(
        self,
        query: str,
        *,
        accept: FormatChoice | str = _DEFAULT_FORMATS,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout_s: float | None = None,
        if_none_match: str | None = None,
    ) -> Answer | None:
        """`answer` on the event loop, if that needs no waiting; else None (call `answer`).

        Cached answers, identical queries in flight (awaited) and evaluations are answered
        here: a free worker and then its pipe are awaited in the loop, with the same guard,
        deadline, kill, cache and metrics as `answer`. What would block instead (admission
        beyond `max_concurrent_queries`, a remote store) returns None, so the router runs
        `answer` in a thread, where blocking is allowed.
        """
        if self.remote is not None:
            return None
        started = time.perf_counter()
        try:
            answer = await self._try_answer_async(
                query,
                formats=_format_choice(accept),
                default_graphs=tuple(default_graph_uris),
                named_graphs=tuple(named_graph_uris),
                timeout_s=self._deadline(timeout_s),
                if_none_match=if_none_match,
            )
        except KgError as exc:
            self.metrics.record(_outcome_of(exc), time.perf_counter() - started)
            raise
        if answer is not None:
            self._record(answer, query, started)
        return answer

    async def _try_answer_async(
        self,
        query: str,
        *,
        formats: FormatChoice,
        default_graphs: tuple[str, ...],
        named_graphs: tuple[str, ...],
        timeout_s: float,
        if_none_match: str | None,
    ) -> Answer | None:
        """Cache → guard → a free worker, awaited; None where `_answer` would have to wait."""
        plan = self._plan(query, formats, default_graphs, named_graphs)
        if plan.cacheable and (reused := self._reuse(plan.key, plan.version, if_none_match)):
            return reused
        plan = plan.guarded(self._guard(query))
        deadline = time.monotonic() + timeout_s  # waiting for a worker counts, as in `answer`
        if plan.cacheable:
            self.timeouts.check(plan.key, timeout_s)
            joined, shared = await self.flights.join(plan.key, timeout_s=timeout_s)
            if joined:  # an identical query was in flight: its outcome is this one's
                assert shared is not None
                return self._finish(plan, shared, if_none_match)
        worker = await self.executor.claim(timeout_s=max(0.0, deadline - time.monotonic()))
        if worker is None:
            return None
        call = self.flights.lead(plan.key) if plan.cacheable else None
        if plan.cacheable and call is None:
            self.executor.release(worker)  # an identical query started meanwhile: `answer`
            return None  # waits for it in a thread (rare: a race of two requests)
        try:
            outcome = await self.executor.run_claimed(
                worker, plan.job(), timeout_s=timeout_s, deadline=deadline
            )
        except KgError as exc:
            if isinstance(exc, QueryTimeoutError) and not isinstance(exc, ServiceBusyError):
                self.timeouts.remember(plan.key, timeout_s)
            if call is not None:
                self.flights.settle(plan.key, call, error=exc)
            raise
        except BaseException:  # cancelled: whoever waits for this evaluation must retry
            if call is not None:
                self.flights.settle(plan.key, call, error=ServiceBusyError(
                    "The identical query this request waited for was abandoned; retry."))
            raise
        if call is not None:
            self.flights.settle(plan.key, call, result=outcome)
        if outcome.kind == "store" and not plan.build.exists():
            return None  # the build was removed mid-query: `answer` reads the live one
        return self._finish(plan, outcome, if_none_match)

    def _plan(
        self,
        query: str,
        formats: FormatChoice,
        default_graphs: tuple[str, ...],
        named_graphs: tuple[str, ...],
    ) -> _Plan:
        """What evaluating `query` on the live build involves, before the guard has read it."""
        build = self.live.current()
        return _Plan(
            build=build,
            query=query,
            formats=formats,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            key=_cache_key(build.name, query, formats, default_graphs, named_graphs),
            cacheable=is_deterministic(query),
        )

    def _finish(self, plan: _Plan, outcome: Outcome, if_none_match: str | None) -> Answer:
        """An evaluated outcome as an answer: errors raised, kept in the cache if it may be."""
        raise_for(outcome)
        if plan.cacheable:
            self.cache.put(plan.key, CachedAnswer(outcome.media_type, outcome.body))
            etag = plan.key.etag()
        else:
            etag = body_etag(plan.key, outcome.body)
        return _answer(outcome.media_type, outcome.body, etag, plan.version, False, if_none_match)

    def _record(self, answer: Answer, query: str, started: float) -> None:
        """Count a finished answer in the metrics."""
        self.metrics.record(
            "not_modified" if answer.status == 304 else "ok",
            time.perf_counter() - started,
            cache_hit=answer.cached if answer.etag and is_deterministic(query) else None,
        )

    def _evaluate(self, plan: _Plan, timeout_s: float) -> Outcome:
        """Run the plan's job in a worker; remember its key if it ran into its deadline."""
        try:
            return self.executor.run(plan.job(), timeout_s=timeout_s)
        except ServiceBusyError:
            raise  # no worker was free: says nothing about the query
        except QueryTimeoutError:
            self.timeouts.remember(plan.key, timeout_s)
            raise

    def _guard(self, query: str) -> QueryFacts:
        """`kg.web.guard.check_query` with this service's allowlist and size bound."""
        return check_query(
            query,
            allowlist=self.settings.federation_allowlist,
            max_bytes=self.settings.max_query_bytes,
        )

    def _reuse(self, key: CacheKey, version: str, if_none_match: str | None) -> Answer | None:
        """The cached answer under `key` (200, or 304 when the client already has it), if any."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        return _answer(hit.media_type, hit.body, key.etag(), version, True, if_none_match)

    def _answer_remote(
        self,
        remote: RemoteBackend,
        query: str,
        *,
        formats: FormatChoice,
        default_graphs: tuple[str, ...],
        named_graphs: tuple[str, ...],
        union: bool,
        timeout_s: float,
        if_none_match: str | None,
    ) -> Answer:
        """Cache → remote store, keyed by the version the last load wrote into the store.

        The version is read before and after the query; an answer computed while a load switched
        the graphs is returned but neither cached nor given the version's ETag.
        """
        started = time.monotonic()
        if not self._remote_slots.acquire(timeout=min(_REMOTE_ADMISSION_S, timeout_s)):
            raise ServiceBusyError(
                "The endpoint is answering as many queries as it is allowed to; retry shortly."
            )
        try:
            version = remote.version()
            names_graphs = bool(default_graphs or named_graphs)
            key = _cache_key(version, query, formats, default_graphs, named_graphs)
            cacheable = is_deterministic(query)
            if cacheable and (reused := self._reuse(key, version, if_none_match)) is not None:
                return reused
            left = timeout_s - (time.monotonic() - started)
            if left <= 0:
                raise QueryTimeoutError(f"The query did not start within {timeout_s:g} s.")
            outcome = remote.outcome(
                query,
                timeout_s=left,
                dataset=Dataset(
                    union=union,
                    default_graphs=default_graphs if names_graphs else None,
                    named_graphs=named_graphs if names_graphs else None,
                ),
                solutions_format=formats.solutions,
                graph_format=formats.graph,
            )
            raise_for(outcome)
            if cacheable and remote.version() == version:
                self.cache.put(key, CachedAnswer(outcome.media_type, outcome.body))
                etag = key.etag()
            else:
                etag = body_etag(key, outcome.body)
            return _answer(outcome.media_type, outcome.body, etag, version, False, if_none_match)
        finally:
            self._remote_slots.release()


def _cache_key(
    version: str,
    query: str,
    formats: FormatChoice,
    default_graphs: tuple[str, ...],
    named_graphs: tuple[str, ...],
) -> CacheKey:
    """The cache key of a query on one store version, whichever backend answers it.

    Graph parameters are part of the key only when the request names graphs (the protocol's
    dataset); their order does not matter.
    """
    names_graphs = bool(default_graphs or named_graphs)
    return CacheKey(
        store_version=version,
        query=normalise_query(query),
        solutions_format=formats.solutions,
        graph_format=formats.graph,
        default_graphs=tuple(sorted(default_graphs)) if names_graphs else None,
        named_graphs=tuple(sorted(named_graphs)) if names_graphs else None,
    )


def _answer(
    media_type: str, body: bytes, etag: str, version: str, cached: bool, if_none_match: str | None
) -> Answer:
    """A 200 answer, or a 304 without a body when the client already holds this ETag."""
    if etag_matches(if_none_match, etag):
        return Answer(304, b"", media_type, etag, version, cached)
    return Answer(200, body, media_type, etag, version, cached)


def raise_for(outcome: Outcome) -> None:
    """Turn a worker's error outcome into the matching `kg.errors` exception."""
    if outcome.kind == "ok":
        return
    if outcome.kind == "syntax":
        raise QuerySyntaxError(outcome.message)
    if outcome.kind == "not_acceptable":
        raise NotAcceptableError(outcome.message)
    if outcome.kind == "usage":
        raise UserInputError(outcome.message)
    raise StoreError(outcome.message)


def _format_choice(accept: FormatChoice | str) -> FormatChoice:
    """A single media type becomes a choice of that type for its kind and nothing for the other."""
    if isinstance(accept, FormatChoice):
        return accept
    media_type = accept.split(";", 1)[0].strip().lower()
    results = ox.QueryResultsFormat.from_media_type(media_type)
    graph = ox.RdfFormat.from_media_type(media_type)
    if results is None and graph is None:
        raise NotAcceptableError(f"{accept!r} is not a format this endpoint can produce.")
    return FormatChoice(
        solutions=results.media_type if results is not None else None,
        graph=graph.media_type if graph is not None else None,
    )


def _outcome_of(exc: KgError) -> str:
    """The metrics outcome label of a failed query."""
    for kind, label in (
        (ServiceBusyError, "busy"),
        (QueryTimeoutError, "timeout"),
        (QueryRefusedError, "refused"),
        (RequestTooLargeError, "too_large"),
        (QuerySyntaxError, "syntax_error"),
        (NotAcceptableError, "not_acceptable"),
        (StoreNotBuiltError, "store_unavailable"),
        (UserInputError, "bad_request"),
    ):
        if isinstance(exc, kind):
            return label
    return "error"
