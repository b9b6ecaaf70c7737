"""`kg load` into a remote SPARQL store: new graphs are complete before they replace old ones.

1. Every file is parsed strictly and loaded into an in-memory pyoxigraph store, one named graph
   per file, and the truthy layer is derived there (`kg.truthy`) — the same steps and the same
   literals as an embedded build, so every backend holds the same triples.
2. Leftovers of an interrupted load (graphs under `STAGING_BASE`) are dropped.
3. Each graph is uploaded with a Graph Store Protocol PUT under its own staging IRI
   (`<STAGING_BASE><build id>/<n>`), and the staged graphs are counted on the store and compared
   with the local counts.
4. ONE SPARQL Update request then drops the graphs of the previous load that are gone, MOVEs each
   staged graph onto its real IRI and rewrites the metadata graph (version and live graphs).

Atomicity is what the engine gives one update request: Oxigraph applies a request in one
transaction (readers see before or after); Virtuoso runs it as one request but its isolation from
concurrent readers is not guaranteed by its documentation (docs/deploy.md). Whatever fails before
step 4 leaves the served graphs untouched and the staging graphs are dropped. Staged graphs are
named graphs, so while a load runs they are visible to queries that range over *all* graphs
(`GRAPH ?g`, and the union default graph): kg's own reads go through the metadata graph's list.
One writer at a time: run loads from one place (the writer of docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.dataset import SourceFile, TurtleDocument, read_turtle, syntax_error
from kg.errors import KgError, StoreError
from kg.store import GraphCount, LoadProgress, LoadReport, graph_counts

if TYPE_CHECKING:
    from kg.backends.remote import RemoteBackend

__all__ = ["push_dataset"]


class _Silent:
    """No progress display."""

    def checked(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def loading(self, total_triples: int) -> None:
        """Ignore."""

    def loaded(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def stage(self, description: str) -> None:
        """Ignore."""


def push_dataset(
    backend: RemoteBackend, files: Sequence[SourceFile], *, progress: LoadProgress | None = None
) -> LoadReport:
    """Replace the live graphs of the remote store with `files` and their truthy layer."""
    from kg.backends.remote import LIVE_GRAPH, META_GRAPH, STAGING_BASE, STORE_NODE, VERSION
    from kg.truthy import materialize_truthy

    report_to: LoadProgress = progress if progress is not None else _Silent()
    started = time.perf_counter()
    documents: list[tuple[SourceFile, TurtleDocument]] = []
    for source in files:
        document = read_turtle(source.path)
        report_to.checked(source, document.triples)
        documents.append((source, document))

    report_to.loading(sum(d.triples for _, d in documents))
    staging = ox.Store()
    for source, document in documents:
        try:
            staging.load(
                document.data, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(source.graph_iri)
            )
        except SyntaxError as exc:  # pragma: no cover - read_turtle parsed the same bytes
            raise syntax_error(source.path, exc) from None
    report_to.stage("deriving the truthy layer")
    truthy = materialize_truthy(staging)
    graphs = graph_counts(staging)

    client = backend.client
    build = _build_id()
    staged_prefix = f"{STAGING_BASE}{build}/"
    report_to.stage("dropping graphs left by an interrupted load")
    _drop_staging(backend, STAGING_BASE)
    by_graph = {source.graph_iri: source for source, _ in documents}
    staged: dict[str, str] = {}
    try:
        for n, count in enumerate(graphs):
            target = f"{staged_prefix}{n}"
            triples = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in staging.quads_for_pattern(None, None, None, ox.NamedNode(count.graph_iri))
            ]
            client.put_graph(target, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
            staged[count.graph_iri] = target
            uploaded = by_graph.get(count.graph_iri)
            if uploaded is not None:
                report_to.loaded(uploaded, count.triples)
            else:
                report_to.stage(f"uploaded {count.graph_iri}")
        report_to.stage("verifying the staged graphs")
        _verify(backend, graphs, staged)
        report_to.stage("switching to the new graphs")
        old = set(backend.live_graphs()) if _has_version(backend) else set()
        client.update(
            _switch_update(
                old=old,
                staged=staged,
                version=build,
                meta=META_GRAPH,
                store=STORE_NODE,
                version_p=VERSION,
                live_p=LIVE_GRAPH,
            )
        )
    except BaseException:
        with contextlib.suppress(KgError):
            _drop_staging(backend, staged_prefix)
        raise
    return LoadReport(
        build_dir=Path(build),
        files=len(documents),
        parsed_triples=sum(d.triples for _, d in documents),
        truthy_triples=truthy,
        graphs=graphs,
        seconds=time.perf_counter() - started,
    )


def _build_id() -> str:
    """A unique, sortable version name, like the embedded store's build directories."""
    now = datetime.now(tz=UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}Z-{os.getpid()}"


def _has_version(backend: RemoteBackend) -> bool:
    """Whether a previous load wrote the metadata graph."""
    from kg.errors import StoreNotBuiltError

    try:
        backend.version()
    except StoreNotBuiltError:
        return False
    return True


def _drop_staging(backend: RemoteBackend, prefix: str) -> None:
    """Drop every graph whose IRI starts with `prefix` (staged graphs, never live ones)."""
    rows = backend.client.select_rows(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}',
        timeout_s=300.0,
    )
    if rows:
        backend.client.update(" ;\n".join(f"DROP SILENT GRAPH <{r['g']}>" for r in rows))


def _verify(
    backend: RemoteBackend, graphs: Sequence[GraphCount], staged: dict[str, str]
) -> None:
    """Every staged graph holds exactly the triples it was given, or the load stops here."""
    prefix = next(iter(staged.values())).rsplit("/", 1)[0] + "/" if staged else ""
    rows = backend.client.select_rows(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }} GROUP BY ?g',
        timeout_s=300.0,
    )
    remote = {r["g"]: int(r["n"]) for r in rows}
    for count in graphs:
        got = remote.get(staged[count.graph_iri], 0)
        if got != count.triples:
            raise StoreError(
                f"The store holds {got} triples of {count.graph_iri} after the upload, not "
                f"{count.triples}; nothing was switched."
            )


def _switch_update(
    *,
    old: set[str],
    staged: dict[str, str],
    version: str,
    meta: str,
    store: str,
    version_p: str,
    live_p: str,
) -> str:
    """The one SPARQL Update that makes the staged graphs live."""
    operations = [f"DROP SILENT GRAPH <{g}>" for g in sorted(old - staged.keys())]
    operations += [f"MOVE <{src}> TO <{dst}>" for dst, src in sorted(staged.items())]
    operations.append(f"DROP SILENT GRAPH <{meta}>")
    live = " , ".join(f"<{g}>" for g in sorted(staged))
    listing = f" ; <{live_p}> {live}" if live else ""
    operations.append(
        f'INSERT DATA {{ GRAPH <{meta}> {{ <{store}> <{version_p}> "{version}"{listing} . }} }}'
    )
    return " ;\n".join(operations)
