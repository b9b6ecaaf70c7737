"""`kg release`: one immutable, self-describing release directory made from the live store.

Steps, each streaming (memory bounded by the sorter's run size and the label caches, not by the
dataset):

1. every quad of the store, with canonical blank-node labels (`kg.release.canonical`), goes into
   two external sorters — one ordered by graph then line (the dump order), one by entity;
2. `dataset.nq.gz` is written from the first; TriG, per-kind Turtle and compacted JSON-LD are
   written from `dataset.nq.gz` by streaming it again;
3. `entities.tsv.gz` from the second; both are compared with the previous release (the one
   `latest` points at) into `changes-added.nq.gz`, `changes-removed.nq.gz` and `activity.jsonl`;
4. the release's graphs are validated (`kg.release.check`), then `void.ttl`, `SHA256SUMS` and
   `release.json` are written;
5. the directory, built under a temporary name, is renamed into place and `latest` switched to it.

Per-kind Turtle files group triples by the *folder of the file they come from* (the graph IRI
names it): `data/ttl/sites/…` → `sites.ttl.gz`, likewise places, people, sources, objects, works,
organizations; `ontology/…` → `ontology.ttl.gz`; the derived truthy graph → `truthy.ttl.gz`;
anything else (e.g. files loaded from outside the project) → `other.ttl.gz`. Folder, not
`rdf:type`, because the folder is where a maintainer put the whole description of an entity
(its statements, citations and events included), so each file is a complete, self-contained slice.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from kg.backends.base import Snapshot
from kg.errors import StoreError, UserInputError
from kg.namespaces import GRAPH_BASE, PREFIXES, TRUTHY_GRAPH
from kg.release.canonical import canonical_quads
from kg.release.changes import (
    ChangeSummary,
    diff_entities,
    diff_quads,
    entity_item,
    gzip_reader,
    keyed_lines,
    quad_key,
    write_entity_index,
)
from kg.release.check import ReleaseValidation, validate_release
from kg.release.extsort import ExternalSorter
from kg.release.jsonld import JsonLdCompactor, write_jsonld
from kg.release.layout import MANIFEST, check_version, latest_version, switch_latest
from kg.release.void import Distribution, ReleaseInfo, count_dataset, void_turtle

__all__ = ["ReleaseOptions", "ReleaseReport", "kind_of_graph", "make_release"]

NQUADS = "dataset.nq.gz"
TRIG = "dataset.trig.gz"
JSONLD = "dataset.jsonld.gz"
ENTITIES = "entities.tsv.gz"
ADDED = "changes-added.nq.gz"
REMOVED = "changes-removed.nq.gz"
ACTIVITY = "activity.jsonl"
CHANGES = "changes.json"
REPORT = "validation.json"
VOID = "void.ttl"
SUMS = "SHA256SUMS"

_DATA_FOLDER = GRAPH_BASE + "data/ttl/"
_KIND = re.compile(r"[a-z0-9-]+")


def kind_of_graph(graph_iri: str) -> str:
    """Which per-kind Turtle file a graph's triples go to (see the module docstring)."""
    if graph_iri == TRUTHY_GRAPH:
        return "truthy"
    if graph_iri.startswith(GRAPH_BASE + "ontology/"):
        return "ontology"
    if graph_iri.startswith(_DATA_FOLDER):
        folder = graph_iri.removeprefix(_DATA_FOLDER).split("/", 1)
        if len(folder) == 2 and _KIND.fullmatch(folder[0]):
            return folder[0]
    return "other"


@dataclass(frozen=True, slots=True)
class ReleaseOptions:
    """Everything `make_release` needs besides the store."""

    store_dir: Path
    releases_dir: Path
    project_root: Path
    base_url: str
    license_iri: str
    publisher_iri: str
    publisher_name: str
    title: str = "heritage-kg: cultural heritage of Karabakh, East Zangezur and Yerevan/Iravan"
    description: str = (
        "A linked-data knowledge graph of the cultural heritage of Karabakh, East Zangezur and "
        "Yerevan/Iravan in which every contested claim is a statement attributed to a source."
    )
    version: str | None = None
    validate: bool = True
    run_lines: int = 100_000


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    """What one `kg release` wrote."""

    version: str
    directory: Path
    previous: str | None
    triples: int
    entities: int
    changes: ChangeSummary
    validation: ReleaseValidation | None
    files: tuple[tuple[str, int], ...]  # name, bytes
    seconds: float


@contextlib.contextmanager
def _gzip_out(path: Path, mode: str = "wb") -> Iterator[IO[bytes]]:
    """A gzip file with no name and no timestamp in its header: same data, same bytes."""
    with path.open(mode) as raw, gzip.GzipFile(
        filename="", mode=mode, fileobj=raw, mtime=0, compresslevel=6
    ) as writer:
        yield cast(IO[bytes], writer)


@contextlib.contextmanager
def _lock(releases_dir: Path) -> Iterator[None]:
    with (releases_dir / "release.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"Another `kg release` is writing to {releases_dir}.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _default_version(now: datetime) -> str:
    return f"{now:%Y-%m-%dT%H%M%S}Z"


def make_release(options: ReleaseOptions, source: Snapshot | None = None) -> ReleaseReport:
    """Write a new release of the live store and make it `latest`; see the module docstring.

    `source` is a snapshot of any backend (`kg.backends`); without it, the embedded store in
    `options.store_dir` is read.
    """
    if source is None:
        from kg.backends.embedded import EmbeddedBackend

        with EmbeddedBackend(options.store_dir).snapshot() as snapshot:
            return make_release(options, snapshot)
    started = time.perf_counter()
    now = datetime.now(tz=UTC).replace(microsecond=0)
    version = options.version or _default_version(now)
    problem = check_version(version)
    if problem:
        raise UserInputError(problem)
    releases = options.releases_dir
    releases.mkdir(parents=True, exist_ok=True)
    with _lock(releases):
        final = releases / version
        if final.exists() or final.is_symlink():
            raise UserInputError(
                f"Release {version} already exists in {releases}; releases are immutable — "
                "choose another --version."
            )
        previous = latest_version(releases)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=releases))
        tmp.chmod(0o755)
        try:
            report = _write(options, version, now, source, previous, tmp)
            for child in tmp.iterdir():
                _fsync(child)
            os.rename(tmp, final)
            switch_latest(releases, version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ReleaseReport(
        version=version,
        directory=final,
        previous=previous,
        triples=report["triples"],
        entities=report["entities"],
        changes=report["changes"],
        validation=report["validation"],
        files=report["files"],
        seconds=time.perf_counter() - started,
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(
    options: ReleaseOptions,
    version: str,
    now: datetime,
    source: Snapshot,
    previous: str | None,
    out: Path,
) -> dict[str, Any]:
    work = out / ".work"
    work.mkdir()
    try:
        return _write_in(options, version, now, source, previous, out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_in(
    options: ReleaseOptions,
    version: str,
    now: datetime,
    source: Snapshot,
    previous: str | None,
    out: Path,
    work: Path,
) -> dict[str, Any]:
    store = source.store
    dump_order = ExternalSorter(work, run_lines=options.run_lines)
    by_entity = ExternalSorter(work, run_lines=options.run_lines)
    for quad in canonical_quads(store):
        dump_order.add(quad_key(quad.graph, quad.line))
        if quad.owner:
            by_entity.add(entity_item(quad.owner, quad.line, quad.type_of_owner))
    with _gzip_out(out / NQUADS) as nq:
        for key in dump_order.sorted_unique():
            nq.write(key.split(" ", 1)[1].encode("utf-8") + b"\n")
    with _gzip_out(out / ENTITIES) as entities_out:
        entities = write_entity_index(by_entity.sorted_unique(), entities_out)
    counts = count_dataset(store)
    del store

    _write_trig(out)
    kinds = _write_kinds(out)
    _write_jsonld(out, options.project_root)

    previous_dir = options.releases_dir / previous if previous else None
    changes = _write_changes(out, previous_dir, now)
    modified = now
    if changes.empty and previous_dir is not None:
        previous_manifest = json.loads((previous_dir / MANIFEST).read_text(encoding="utf-8"))
        modified = datetime.fromisoformat(previous_manifest["modified"])

    validation = None
    if options.validate:
        validation = validate_release(
            out / NQUADS, work=work / "tree", project_root=options.project_root, report=out / REPORT
        )

    distributions = [
        _distribution(out, NQUADS, "The whole dataset, named graphs kept (gzipped N-Quads)",
                      "application/n-quads"),
        _distribution(out, TRIG, "The whole dataset, named graphs kept (gzipped TriG)",
                      "application/trig"),
        _distribution(out, JSONLD, "The whole dataset as JSON-LD compacted with the project "
                      "context (gzipped)", "application/ld+json"),
        *(
            _distribution(out, f"{kind}.ttl.gz", f"Triples from the {kind} files (gzipped Turtle)",
                          "text/turtle")
            for kind in kinds
        ),
    ]
    info = ReleaseInfo(
        version=version,
        base_url=options.base_url,
        title=options.title,
        description=options.description,
        license_iri=options.license_iri,
        publisher_iri=options.publisher_iri,
        publisher_name=options.publisher_name,
        issued=now,
        modified=modified,
        previous_version=previous,
        conforms=validation.conforms if validation else None,
        shapes_iri=GRAPH_BASE + "ontology/shapes/",
        report_name=REPORT if validation else None,
    )
    (out / VOID).write_bytes(void_turtle(info, counts, distributions))
    manifest = {
        "version": version,
        "issued": now.isoformat(),
        "modified": modified.isoformat(),
        "previous": previous,
        "store_build": source.version,
        "triples": counts.triples,
        "entities": entities,
        "conforms": validation.conforms if validation else None,
        "changes": {
            "added_quads": changes.added_quads,
            "removed_quads": changes.removed_quads,
            "created": changes.created,
            "updated": changes.updated,
            "deleted": changes.deleted,
        },
        "activities": changes.created + changes.updated + changes.deleted,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    files = _write_sums(out)
    return {
        "triples": counts.triples,
        "entities": entities,
        "changes": changes,
        "validation": validation,
        "files": files,
    }


def _parsed(out: Path) -> Iterator[ox.Quad]:
    with gzip_reader(out / NQUADS) as handle:
        yield from ox.parse(handle, ox.RdfFormat.N_QUADS)


def _write_trig(out: Path) -> None:
    with _gzip_out(out / TRIG) as trig:
        ox.serialize(_parsed(out), trig, ox.RdfFormat.TRIG, prefixes=PREFIXES)


def _write_kinds(out: Path) -> list[str]:
    """One gzipped Turtle file per kind; a kind met twice is appended (prefixes repeated)."""
    written: list[str] = []

    def kind(quad: ox.Quad) -> str:
        graph = quad.graph_name
        return kind_of_graph(graph.value) if isinstance(graph, ox.NamedNode) else "other"

    for name, group in groupby(_parsed(out), key=kind):
        path = out / f"{name}.ttl.gz"
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in group)
        with _gzip_out(path, "ab") as turtle:
            ox.serialize(triples, turtle, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        if name not in written:
            written.append(name)
    return sorted(written)


def _write_jsonld(out: Path, project_root: Path) -> None:
    context_file = project_root / "ontology" / "context.jsonld"
    context = json.loads(context_file.read_text(encoding="utf-8"))["@context"]
    with _gzip_out(out / JSONLD) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", write_through=False)
        write_jsonld(_parsed(out), text, compactor=JsonLdCompactor(context))
        text.flush()
        text.detach()


def _write_changes(out: Path, previous_dir: Path | None, now: datetime) -> ChangeSummary:
    old_keys: Iterator[str] = iter(())
    old_entities = None
    if previous_dir is not None:
        old_keys = keyed_lines(previous_dir / NQUADS)
        old_entities = previous_dir / ENTITIES
    with _gzip_out(out / ADDED) as added, _gzip_out(out / REMOVED) as removed:
        n_added, n_removed = diff_quads(
            old_keys, keyed_lines(out / NQUADS), added=added, removed=removed
        )
    with (out / ACTIVITY).open("wb") as activities:
        created, updated, deleted = diff_entities(
            old_entities, out / ENTITIES, end_time=now, activities=activities
        )
    summary = ChangeSummary(
        added_quads=n_added,
        removed_quads=n_removed,
        created=created,
        updated=updated,
        deleted=deleted,
    )
    (out / CHANGES).write_text(
        json.dumps(
            {
                "previous": previous_dir.name if previous_dir else None,
                "added_quads": n_added,
                "removed_quads": n_removed,
                "created": created,
                "updated": updated,
                "deleted": deleted,
                "added": ADDED,
                "removed": REMOVED,
                "activities": ACTIVITY,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return summary


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _distribution(out: Path, name: str, title: str, media_type: str) -> Distribution:
    path = out / name
    return Distribution(
        name=name,
        title=title,
        media_type=media_type,
        compressed=name.endswith(".gz"),
        byte_size=path.stat().st_size,
        sha256=_sha256(path),
    )


def _write_sums(out: Path) -> tuple[tuple[str, int], ...]:
    """`sha256sum -c SHA256SUMS` checks every other file of the release."""
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != SUMS)
    lines = [f"{_sha256(p)}  {p.name}\n" for p in files]
    (out / SUMS).write_text("".join(lines), encoding="utf-8")
    return tuple((p.name, p.stat().st_size) for p in [*files, out / SUMS])


