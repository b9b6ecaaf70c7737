"""`kg release`: one immutable, self-describing release directory made from the live store.

Steps, each streaming (memory bounded by fixed buffers, not by the dataset):

1. the store's N-Quads — its own dump when `kg load` gave the blank nodes canonical labels (the
   build's `blank-node-labels` marker, `kg.blank_nodes`), otherwise relabelled here
   (`kg.release.canonical`) — feed `kg.release.stream`: GNU `sort -u` makes the byte-sorted
   `dataset.nq.gz` (VoID's counts are read off it on the way, `kg.release.counts`), and a writer
   process makes TriG, per-kind Turtle, compacted JSON-LD and `entities.tsv.gz`;
2. the sorted text is compared with the previous release's (the one `latest` points at) by
   `comm` into `changes-added.nq.gz` and `changes-removed.nq.gz`, the entity indexes into
   `activity.jsonl`;
3. the release's graphs are validated (`kg.release.check`), then `void.ttl`, `SHA256SUMS` and
   `release.json` are written;
4. the directory, built under a temporary name, is renamed into place and `latest` switched to it.

Per-kind Turtle files follow the folder of the file a triple comes from (`kg.release.kinds`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.backends.base import Snapshot
from kg.blank_nodes import LABEL_SCHEME
from kg.errors import StoreError, UserInputError
from kg.namespaces import GRAPH_BASE
from kg.release.canonical import canonical_quads
from kg.release.changes import (
    ChangeSummary,
    diff_entities,
    diff_sorted_files,
    gzip_reader,
    quad_key,
)
from kg.release.check import ReleaseValidation, validate_release
from kg.release.extsort import ExternalSorter
from kg.release.gnusort import c_locale, sort_command
from kg.release.gz import gzip_out as _gzip_out
from kg.release.kinds import kind_of_graph
from kg.release.layout import MANIFEST, check_version, latest_version, switch_latest
from kg.release.stream import stream_release
from kg.release.void import Distribution, ReleaseInfo, count_dataset, void_turtle
from kg.store import BUILDS_DIR, canonical_labels

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
NQUADS_ORDER = "sorted-bytes"
"""`dataset.nq.gz` lines are sorted byte-wise (LC_ALL=C sort -u); older releases lack the key."""

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
    steps: tuple[tuple[str, float], ...] = ()  # (what, wall seconds), in order


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
        steps=report["steps"],
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
    canonical = canonical_labels(options.store_dir / BUILDS_DIR / source.version)

    def feed(sink: IO[bytes]) -> None:
        if canonical:  # labels given at load: the store's own dump, streamed from Rust
            source.store.dump(sink, ox.RdfFormat.N_QUADS)
        else:
            _feed_relabelled(source.store, work, options.run_lines, sink)

    streamed = stream_release(
        feed,
        out=out,
        work=work,
        context_file=options.project_root / "ontology" / "context.jsonld",
        nquads_name=NQUADS,
        entities_name=ENTITIES,
    )
    steps = list(streamed.steps)
    counts = streamed.counts
    if any(True for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        counts = count_dataset(store)  # the text counter reads named-graph lines only
    entities, kinds = streamed.entities, streamed.kinds
    del store

    previous_dir = options.releases_dir / previous if previous else None
    mark = time.perf_counter()
    changes = _write_changes(
        out, work, streamed.sorted_nquads, streamed.counts.triples, previous_dir, now
    )
    steps.append(("changes", time.perf_counter() - mark))
    modified = now
    if changes.empty and previous_dir is not None:
        previous_manifest = json.loads((previous_dir / MANIFEST).read_text(encoding="utf-8"))
        modified = datetime.fromisoformat(previous_manifest["modified"])

    validation = None
    mark = time.perf_counter()
    if options.validate:
        validation = validate_release(
            out / NQUADS, work=work / "tree", project_root=options.project_root, report=out / REPORT
        )

    steps.append(("validation", time.perf_counter() - mark))
    mark = time.perf_counter()
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
        "nquads_order": NQUADS_ORDER,
        "blank_node_labels": LABEL_SCHEME if canonical else "release",
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
    steps.append(("VoID, manifest, checksums", time.perf_counter() - mark))
    return {
        "steps": tuple(steps),
        "triples": counts.triples,
        "entities": entities,
        "changes": changes,
        "validation": validation,
        "files": files,
    }


def _feed_relabelled(store: ox.Store, work: Path, run_lines: int, sink: IO[bytes]) -> None:
    """N-Quads of a store without load-time labels (a remote store's copy, a build changed by a
    web write), relabelled by `kg.release.canonical` and grouped by graph then subject."""
    dump_order = ExternalSorter(work, run_lines=run_lines)
    for quad in canonical_quads(store):
        dump_order.add(quad_key(quad.graph, quad.line))
    batch: list[bytes] = []
    for key in dump_order.sorted_unique():
        batch.append(key.split(" ", 1)[1].encode("utf-8") + b"\n")
        if len(batch) >= 4096:
            sink.write(b"".join(batch))
            batch = []
    sink.write(b"".join(batch))


def _previous_sorted(previous_dir: Path, work: Path) -> Path:
    """The previous release's N-Quads as a byte-sorted plain file under `work`.

    Releases written since the N-Quads dump became sorted text say so in their manifest
    (`nquads_order`); an older one (sorted by graph first) is sorted again here.
    """
    manifest = json.loads((previous_dir / MANIFEST).read_text(encoding="utf-8"))
    target = work / "previous.nq"
    with gzip_reader(previous_dir / NQUADS) as source, target.open("wb") as plain:
        if manifest.get("nquads_order") == NQUADS_ORDER:
            shutil.copyfileobj(source, plain, 1 << 20)
            return target
        with subprocess.Popen(sort_command(work), stdin=subprocess.PIPE, stdout=plain,
                              env=c_locale()) as sort:
            assert sort.stdin is not None
            shutil.copyfileobj(source, sort.stdin, 1 << 20)
            sort.stdin.close()
        if sort.returncode != 0:
            raise StoreError(f"sorting the previous release {previous_dir.name} failed")
    return target


def _write_changes(
    out: Path, work: Path, new_sorted: Path, quads: int, previous_dir: Path | None, now: datetime
) -> ChangeSummary:
    old_entities = previous_dir / ENTITIES if previous_dir is not None else None
    if previous_dir is None:  # everything is added: the same lines, so the same gzip bytes
        shutil.copyfile(out / NQUADS, out / ADDED)
        with _gzip_out(out / REMOVED):
            pass
        n_added, n_removed = quads, 0
    else:
        old_sorted = _previous_sorted(previous_dir, work)
        with _gzip_out(out / ADDED) as added, _gzip_out(out / REMOVED) as removed:
            n_added, n_removed = diff_sorted_files(old_sorted, new_sorted, added=added,
                                                   removed=removed)
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
    """The file's SHA-256, computed once per file version (VoID and SHA256SUMS both need it)."""
    stat = path.stat()
    return _sha256_of(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
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


