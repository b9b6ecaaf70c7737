"""What changed since the previous release: added and removed quads, and entities touched.

Both releases' `dataset.nq.gz` are byte-sorted N-Quads (`LC_ALL=C sort -u`) with canonical
blank-node labels, so the quad changeset is one `comm` of two sorted files, and unchanged data
gives an empty changeset. Entities are compared by a streaming merge of each release's
`entities.tsv.gz` (entity IRI, a digest of all its quads — its own and those of the blank nodes it
owns — and its type): in the new release only → Create, in the old only → Delete, digest differs →
Update. Each becomes one Activity Streams 2.0 activity (the IIIF Change Discovery / Linked Art
pattern) in `activity.jsonl`, the per-entity summary the change feed is served from.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import IO, cast

from kg.namespaces import HK

__all__ = [
    "ChangeSummary",
    "diff_entities",
    "diff_sorted_files",
    "gzip_reader",
    "quad_key",
    "write_entity_index",
]


def quad_key(graph: str, line: str) -> str:
    """The sort key of a canonical line: its graph first, so graphs and subjects stay together."""
    return f"{graph} {line}"


def gzip_reader(path: Path) -> IO[bytes]:
    """A gzip file opened for reading, typed as the byte stream pyoxigraph's parser takes."""
    return cast(IO[bytes], gzip.open(path, "rb"))


def write_entity_index(items: Iterator[str], output: IO[bytes]) -> int:
    """Group sorted entity items into `IRI<TAB>digest<TAB>type` lines; return the entity count."""
    count = 0
    for owner, group in groupby(items, key=lambda item: item.split("\t", 1)[0]):
        digest = hashlib.blake2b(digest_size=16)
        types = []
        for item in group:
            _, line_hash, type_iri = item.split("\t")
            digest.update(line_hash.encode("ascii"))
            if type_iri:
                types.append(type_iri)
        hk_types = [t for t in types if t.startswith(HK)]
        chosen = min(hk_types or types, default="")
        output.write(f"{owner}\t{digest.hexdigest()}\t{chosen}\n".encode())
        count += 1
    return count


def _entities(path: Path | None) -> Iterator[tuple[str, str, str]]:
    if path is None:
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for raw in handle:
            iri, digest, type_iri = raw.rstrip("\n").split("\t")
            yield iri, digest, type_iri


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """Counts of one changeset."""

    added_quads: int
    removed_quads: int
    created: int
    updated: int
    deleted: int

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added_quads or self.removed_quads)


def _activity(kind: str, iri: str, type_iri: str, end_time: datetime) -> str:
    obj: dict[str, str] = {"id": iri}
    if type_iri:
        obj["type"] = type_iri.removeprefix(HK) if type_iri.startswith(HK) else type_iri
    activity = {"type": kind, "endTime": end_time.isoformat().replace("+00:00", "Z"), "object": obj}
    return json.dumps(activity, ensure_ascii=False)


def diff_entities(
    old: Path | None, new: Path, *, end_time: datetime, activities: IO[bytes]
) -> tuple[int, int, int]:
    """Write one AS2 activity per created, updated or deleted entity; return the three counts."""
    counts = {"Create": 0, "Update": 0, "Delete": 0}

    def emit(kind: str, iri: str, type_iri: str) -> None:
        counts[kind] += 1
        activities.write(_activity(kind, iri, type_iri, end_time).encode("utf-8") + b"\n")

    olds, news = _entities(old), _entities(new)
    o, n = next(olds, None), next(news, None)
    while o is not None or n is not None:
        if n is None or (o is not None and o[0] < n[0]):
            assert o is not None
            emit("Delete", o[0], o[2])
            o = next(olds, None)
        elif o is None or n[0] < o[0]:
            emit("Create", n[0], n[2])
            n = next(news, None)
        else:
            if o[1] != n[1]:
                emit("Update", n[0], n[2] or o[2])
            o, n = next(olds, None), next(news, None)
    return counts["Create"], counts["Update"], counts["Delete"]


def diff_sorted_files(
    old: Path | None, new: Path, *, added: IO[bytes], removed: IO[bytes]
) -> tuple[int, int]:
    """Compare two byte-sorted, duplicate-free N-Quads files with `comm`; write the lines only in
    `new` to `added` and those only in `old` to `removed`; return their counts.

    `comm -3` prints the lines of the first file alone as they are and those of the second after
    a tab; no N-Quads line starts with a tab, so one pass splits them.
    """
    if old is None:
        n_added = 0
        with new.open("rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                added.write(chunk)
                n_added += chunk.count(b"\n")
        return n_added, 0
    n_added = n_removed = 0
    command = ["comm", "-3", str(old), str(new)]
    env = {**os.environ, "LC_ALL": "C"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as comm:
        assert comm.stdout is not None and comm.stderr is not None
        for line in comm.stdout:
            if line.startswith(b"\t"):
                added.write(line[1:])
                n_added += 1
            else:
                removed.write(line)
                n_removed += 1
        problem = comm.stderr.read().decode("utf-8", "replace").strip()
    if comm.returncode != 0:
        raise OSError(f"comm failed (exit {comm.returncode}): {problem}")
    return n_added, n_removed
