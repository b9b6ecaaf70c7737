"""`kg load` into a remote SPARQL store: new graphs are complete before they replace old ones.

1. Every file is parsed strictly and loaded into an in-memory pyoxigraph store, one named graph
   per file, and the truthy layer is derived there (`kg.truthy`) — the same steps and the same
   literals as an embedded build, so every backend holds the same triples.
2. Leftovers of an interrupted load (graphs under `STAGING_BASE`) are dropped.
3. Each graph is uploaded under its own staging IRI (`<STAGING_BASE><build id>/<n>`) by SPARQL
   Update requests of ~500 quads that never split a blank node (the truthy layer shares blank
   nodes with the files, and a label is one node only within one request; a Graph Store PUT per
   graph would cut those links), and the staged graphs are counted on the store and compared
   with the local counts. Virtuoso refuses these update requests: it gets the same staged quads
   as one N-Quads file through its bulk loader (`kg.backends.virtuoso_bulk`).
4. ONE SPARQL Update request then drops the graphs of the previous load that are gone, MOVEs each
   staged graph onto its real IRI and rewrites the metadata graph (version and live graphs). On
   Virtuoso the same operations run as one SQL transaction (its compiler refuses one request of
   ~1,000 MOVEs).

Atomicity is what the engine gives that unit: Oxigraph applies an update request in one
transaction (readers see before or after); Virtuoso commits the SQL transaction at once or rolls
it back, its readers at read-committed isolation (docs/deploy.md). Whatever fails before
step 4 leaves the served graphs untouched and the staging graphs are dropped. Staged graphs are
named graphs, so while a load runs they are visible to queries that range over *all* graphs
(`GRAPH ?g`, and the union default graph): kg's own reads go through the metadata graph's list.
One writer at a time: run loads from one place (the writer of docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.dataset import SourceFile
from kg.errors import KgError, StoreError
from kg.store import (
    GraphCount,
    LoadProgress,
    LoadReport,
    SilentProgress,
    graph_counts,
    read_documents,
    stage_in_memory,
)

if TYPE_CHECKING:
    from kg.backends.remote import RemoteBackend

__all__ = ["push_dataset"]

_BATCH = 500  # quads per upload request
_DROPS = 100  # staged graphs dropped per request


def push_dataset(
    backend: RemoteBackend, files: Sequence[SourceFile], *, progress: LoadProgress | None = None
) -> LoadReport:
    """Replace the live graphs of the remote store with `files` and their truthy layer."""
    from kg.backends.remote import LIVE_GRAPH, META_GRAPH, STAGING_BASE, STORE_NODE, VERSION

    if backend.bulk_loader is None and backend.client.engine == "virtuoso":
        raise StoreError(
            "Virtuoso is loaded through its bulk loader (its SPARQL Update refuses these data): "
            "set KG_VIRTUOSO_SQL_ADDRESS and KG_VIRTUOSO_LOAD_DIR (docs/deploy.md)."
        )
    report_to: LoadProgress = progress if progress is not None else SilentProgress()
    started = time.perf_counter()
    documents = read_documents(files, report_to)
    staging, truthy = stage_in_memory(documents, report_to)
    graphs = graph_counts(staging)

    client = backend.client
    build = _build_id()
    staged_prefix = f"{STAGING_BASE}{build}/"
    report_to.stage("dropping graphs left by an interrupted load")
    _drop_staging(backend, STAGING_BASE)
    staged = {c.graph_iri: f"{staged_prefix}{n}" for n, c in enumerate(graphs)}
    try:
        if backend.bulk_loader is not None:
            report_to.stage("loading the graphs under staging names (Virtuoso bulk loader)")
            backend.bulk_loader.load(
                _renamed(staging, staged), name=build, default_graph=staged_prefix
            )
        else:
            report_to.stage("uploading the graphs under staging names")
            batches = _batches(staging, set(staged))
            for n, batch in enumerate(batches, 1):
                client.update(_insert(batch, staged))
                report_to.stage(f"uploaded batch {n}/{len(batches)}")
        report_to.stage("verifying the staged graphs")
        _verify(backend, graphs, staged)
        report_to.stage("switching to the new graphs")
        old = set(backend.live_graphs()) if _has_version(backend) else set()
        switch = _switch_update(
            old=old,
            staged=staged,
            version=build,
            meta=META_GRAPH,
            store=STORE_NODE,
            version_p=VERSION,
            live_p=LIVE_GRAPH,
        )
        if backend.bulk_loader is not None:
            backend.bulk_loader.run_in_one_transaction(switch, name=build)
        else:
            client.update(" ;\n".join(switch))
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


def _renamed(store: ox.Store, targets: dict[str, str]) -> Iterator[ox.Quad]:
    """The quads of the graphs in `targets`, each moved to its staging graph IRI."""
    names = {graph: ox.NamedNode(staged) for graph, staged in targets.items()}
    for quad in store:
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in names:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, names[quad.graph_name.value])


def _batches(store: ox.Store, graphs: set[str]) -> list[list[ox.Quad]]:
    """The quads of `graphs` in batches of about `_BATCH` that never split a blank node.

    The truthy layer points at blank nodes of the files (a statement's time span, say), and a
    blank node is one node only within one request: so every quad mentioning a blank node goes in
    the same request as every other quad connected to it through blank nodes (a union-find over
    labels). Small requests, because Virtuoso refuses an update whose SQL exceeds 10,000 lines.
    """
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        parent.setdefault(label, label)
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    quads = [
        q for q in store
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs
    ]
    for quad in quads:
        labels = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for other in labels[1:]:
            parent[root(other)] = root(labels[0])
    components: dict[str, list[ox.Quad]] = {}
    free: list[ox.Quad] = []
    for quad in quads:
        label = next(
            (t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)), None
        )
        if label is None:
            free.append(quad)
        else:
            components.setdefault(root(label), []).append(quad)
    batches: list[list[ox.Quad]] = [[]]
    for group in [*components.values(), *([q] for q in free)]:
        if batches[-1] and len(batches[-1]) + len(group) > _BATCH:
            batches.append([])
        batches[-1].extend(group)
    return [b for b in batches if b]


def _insert(batch: list[ox.Quad], targets: dict[str, str]) -> str:
    """One `INSERT { GRAPH … } WHERE {}` of a batch, into the staging graphs.

    Not INSERT DATA: Virtuoso refuses blank nodes there; in a template each label is one fresh
    node for the one (empty) solution, which is the same thing.
    """
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in batch:
        assert isinstance(quad.graph_name, ox.NamedNode)
        by_graph.setdefault(targets[quad.graph_name.value], []).append(
            ox.Triple(quad.subject, quad.predicate, quad.object)
        )
    body = "".join(
        f"GRAPH <{graph}> {{\n{_ntriples(triples)}}}\n" for graph, triples in by_graph.items()
    )
    return f"INSERT {{\n{body}}} WHERE {{}}"


def _ntriples(triples: list[ox.Triple]) -> str:
    """Triples as N-Triples text (valid inside a SPARQL template)."""
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")


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
    graphs = [r["g"] for r in rows]
    # In requests of _DROPS: nothing here needs to be atomic, and Virtuoso's compiler refuses
    # a request of about a thousand operations.
    for start in range(0, len(graphs), _DROPS):
        backend.client.update(
            " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs[start : start + _DROPS])
        )


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
) -> list[str]:
    """The operations of the one SPARQL Update that makes the staged graphs live.

    No `;` inside an operation (the metadata triples repeat their subject), so that the
    operations can also run as separate statements of one SQL transaction (Virtuoso).
    """
    operations = [f"DROP SILENT GRAPH <{g}>" for g in sorted(old - staged.keys())]
    operations += [f"MOVE <{src}> TO <{dst}>" for dst, src in sorted(staged.items())]
    operations.append(f"DROP SILENT GRAPH <{meta}>")
    triples = [f'<{store}> <{version_p}> "{version}" .']
    triples += [f"<{store}> <{live_p}> <{g}> ." for g in sorted(staged)]
    operations.append(f"INSERT DATA {{ GRAPH <{meta}> {{ {' '.join(triples)} }} }}")
    return operations
