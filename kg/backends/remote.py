"""The remote backend: any SPARQL 1.1 store (Query, Update, Graph Store Protocol) over HTTP.

The store holds, besides the data graphs, one small metadata graph (`META_GRAPH`) that `kg load`
writes in the same update that switches the data: the store version (the load's build id, what
the web cache and ETags are keyed by) and the list of live graphs (what stats and releases read,
and what the next load drops). Reading the version is one tiny SELECT.

Queries see the union of the graphs as their default graph (Oxigraph is asked for it with
`union-default-graph`; Virtuoso's default graph is the union of *all* its graphs, its own system
graphs included — docs/deploy.md lists what that changes). The canonical prefixes are
predeclared on the query's first line, so the store's line numbers stay the user's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import pyoxigraph as ox

from kg.backends.base import Snapshot
from kg.backends.protocol import Dataset, SparqlClient
from kg.backends.virtuoso_bulk import VirtuosoBulkLoader
from kg.dataset import SourceFile
from kg.errors import StoreError, StoreNotBuiltError
from kg.namespaces import BASE, PREFIXES
from kg.query import OutputFormat, QueryResult, ResultKind, serialise
from kg.settings import Settings
from kg.store import GraphCount, LoadProgress, LoadReport
from kg.web.worker import Outcome, outcome_of

__all__ = ["META_GRAPH", "STAGING_BASE", "RemoteBackend"]

META_GRAPH = BASE + "meta/store"
STORE_NODE = BASE + "meta/store"
VERSION = BASE + "meta/version"
LIVE_GRAPH = BASE + "meta/liveGraph"
STAGING_BASE = BASE + "staging/"
_PROLOGUE = " ".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items()) + " "
_LEADING_BASE = re.compile(r"\s*BASE\s*<[^<>\s]*>", re.IGNORECASE)
_SNAPSHOT_TRIES = 3
_META_TIMEOUT_S = 30.0


class RemoteBackend:
    """A SPARQL 1.1 store reached over HTTP; thread-safe; `close()` when done."""

    def __init__(
        self, client: SparqlClient, bulk_loader: VirtuosoBulkLoader | None = None
    ) -> None:
        self.client = client
        self.bulk_loader = bulk_loader

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteBackend:
        """The backend for the `KG_SPARQL_*` settings."""
        assert settings.sparql_query_url is not None  # the settings validate this
        auth: httpx.Auth | None = None
        if settings.sparql_user is not None:
            password = (
                settings.sparql_password.get_secret_value() if settings.sparql_password else ""
            )
            auth = (
                httpx.DigestAuth(settings.sparql_user, password)
                if settings.sparql_auth == "digest"
                else httpx.BasicAuth(settings.sparql_user, password)
            )
        return cls(
            SparqlClient(
                query_url=settings.sparql_query_url,
                update_url=settings.sparql_update_url or settings.sparql_query_url,
                gsp_url=settings.sparql_gsp_url,
                auth=auth,
                engine=settings.sparql_engine,
            ),
            VirtuosoBulkLoader.from_settings(settings)
            if settings.sparql_engine == "virtuoso"
            else None,
        )

    @property
    def name(self) -> str:
        """`sparql`."""
        return "sparql"

    def location(self) -> str:
        """The query endpoint."""
        return self.client.query_url

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def version(self) -> str:
        """The build id the last `kg load` wrote into the metadata graph."""
        rows = self.client.select_rows(
            f"SELECT ?v WHERE {{ GRAPH <{META_GRAPH}> {{ <{STORE_NODE}> <{VERSION}> ?v }} }}",
            timeout_s=_META_TIMEOUT_S,
        )
        if not rows or "v" not in rows[0]:
            raise StoreNotBuiltError(
                f"No heritage-kg data in the SPARQL store at {self.location()}: run `kg load` "
                "with KG_BACKEND=sparql first."
            )
        return rows[0]["v"]

    def live_graphs(self) -> list[str]:
        """The data graphs of the live version, sorted."""
        rows = self.client.select_rows(
            f"SELECT ?g WHERE {{ GRAPH <{META_GRAPH}> {{ <{STORE_NODE}> <{LIVE_GRAPH}> ?g }} }} "
            "ORDER BY ?g",
            timeout_s=_META_TIMEOUT_S,
        )
        return [row["g"] for row in rows]

    def load(
        self, files: Sequence[SourceFile], *, progress: LoadProgress | None = None
    ) -> LoadReport:
        """Stage every graph, verify it, then switch all of them in one SPARQL Update."""
        from kg.backends.remote_load import push_dataset

        return push_dataset(self, files, progress=progress)

    def evaluate(
        self, query: str, *, timeout_s: float, dataset: Dataset | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """The store's answer as pyoxigraph objects, with the canonical prefixes declared."""
        return self.client.query(_with_prologue(query), timeout_s=timeout_s, dataset=dataset)

    def query(self, query: str, *, fmt: OutputFormat, timeout_s: float) -> QueryResult:
        """`kg query` on the store: the same bytes as the embedded store gives."""
        kind, body = serialise(self.evaluate(query, timeout_s=timeout_s), fmt)
        return QueryResult(kind=ResultKind(kind), fmt=fmt, body=body)

    def outcome(
        self,
        query: str,
        *,
        timeout_s: float,
        dataset: Dataset,
        solutions_format: str | None,
        graph_format: str | None,
    ) -> Outcome:
        """What a query worker would answer, for the web service in front of this store."""
        result = self.evaluate(query, timeout_s=timeout_s, dataset=dataset)
        return outcome_of(result, solutions_format=solutions_format, graph_format=graph_format)

    def graph_counts(self) -> tuple[GraphCount, ...]:
        """Triples per live graph (the metadata graph lists which graphs are live)."""
        rows = self.client.select_rows(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH <{META_GRAPH}> "
            f"{{ <{STORE_NODE}> <{LIVE_GRAPH}> ?g }} GRAPH ?g {{ ?s ?p ?o }} }} "
            "GROUP BY ?g ORDER BY ?g",
            timeout_s=_META_TIMEOUT_S,
        )
        return tuple(GraphCount(graph_iri=r["g"], triples=int(r["n"])) for r in rows)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Copy the live graphs into an in-memory store; retried if a load switches meanwhile.

        Each graph is fetched on its own (Graph Store GET), so no engine's result-row limit can
        truncate it silently, and the copy is checked against the store's own counts.
        """
        for _ in range(_SNAPSHOT_TRIES):
            version = self.version()
            counts = {c.graph_iri: c.triples for c in self.graph_counts()}
            store = ox.Store()
            for graph in self.live_graphs():
                name = ox.NamedNode(graph)
                store.extend(
                    ox.Quad(t.subject, t.predicate, t.object, name)
                    for t in self.client.get_graph(graph)
                )
            copied = {c.graph_iri: c.triples for c in _counts(store)}
            if self.version() == version:
                if copied != counts:
                    raise StoreError(
                        f"The copy of the store at {self.location()} does not match its own "
                        f"counts ({sum(copied.values())} vs {sum(counts.values())} triples)."
                    )
                yield Snapshot(version=version, store=store)
                return
        raise StoreError(
            f"The store at {self.location()} changed {_SNAPSHOT_TRIES} times while it was read; "
            "retry when loads have finished."
        )


def _with_prologue(query: str) -> str:
    """The query with the canonical prefixes declared on its first line, after a leading BASE.

    After, because Virtuoso 7.2 refuses a BASE that follows a PREFIX (SPARQL allows either
    order), and `kg serve` starts every query with `BASE <its endpoint>`.
    """
    base = _LEADING_BASE.match(query)
    if base is None:
        return _PROLOGUE + query
    return base[0] + " " + _PROLOGUE + query[base.end() :]


def _counts(store: ox.Store) -> tuple[GraphCount, ...]:
    """Triples per graph of an in-memory store."""
    from kg.store import graph_counts

    return graph_counts(store)

