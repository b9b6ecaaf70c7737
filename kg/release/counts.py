"""VoID's counts read off the byte-sorted N-Quads while they are compressed, not asked of the store.

The SPARQL aggregates (`kg.release.void.count_dataset`) took 35 s on 1M quads — longer than the
whole dump — and their `COUNT(DISTINCT …)` hash sets grow with the data. In the sorted dump every
subject's lines are contiguous, and within them every `rdf:type` line of one class, so one pass
counts subjects, entities (IRI subjects), class instances and property uses with a few
variables; only distinct objects need a second order, which a GNU `sort -u` (bounded buffer,
spilling to disk) gives. Graph IRIs are kept in a set (one per source file).

Lines are split as the dump writes them, `S P O G .` with every term in the store's named graphs:
the subject, predicate and graph are IRIs or blank nodes (no spaces), the object is what lies
between. A store with quads in the default graph (which kg never writes) is counted by SPARQL.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections import Counter
from pathlib import Path

from kg.release.gnusort import c_locale, sort_command
from kg.release.gz import gzip_out
from kg.release.void import DatasetCounts

__all__ = ["compress_and_count"]

_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_CHUNK = 1 << 20


def compress_and_count(sorted_nquads: Path, target: Path, work: Path) -> DatasetCounts:
    """Gzip `sorted_nquads` into `target` and count it (module docstring)."""
    triples = subjects = entities = 0
    properties: Counter[bytes] = Counter()
    classes: Counter[bytes] = Counter()
    graphs: set[bytes] = set()
    last_subject = b""
    last_type: tuple[bytes, bytes] = (b"", b"")
    objects = subprocess.Popen(sort_command(work), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               env=c_locale())
    assert objects.stdin is not None and objects.stdout is not None
    counted: list[int] = []

    def count_objects() -> None:
        assert objects.stdout is not None
        counted.append(sum(1 for _ in objects.stdout))

    reader = threading.Thread(target=count_objects, daemon=True)
    reader.start()
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)  # bounded: memory stays flat

    failures: list[BaseException] = []

    def compress() -> None:  # zlib releases the GIL: compression overlaps the counting
        try:
            with gzip_out(target) as gz:
                while (chunk := chunks.get()) is not None:
                    gz.write(chunk)
        except BaseException as exc:  # reported by the caller; keep draining so it never blocks
            failures.append(exc)
            while chunks.get() is not None:
                pass

    compressor = threading.Thread(target=compress, daemon=True)
    compressor.start()
    try:
        with sorted_nquads.open("rb") as source:
            rest = b""
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                chunks.put(chunk)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                object_lines: list[bytes] = []
                add_graph, add_object = graphs.add, object_lines.append
                triples += len(lines)
                for line in lines:  # the hottest loop of a release's main process: C splits only
                    subject, predicate, tail = line.split(b" ", 2)
                    obj, graph, _ = tail.rsplit(b" ", 2)
                    add_graph(graph)
                    add_object(obj)
                    properties[predicate] += 1
                    if subject != last_subject:
                        subjects += 1
                        last_subject = subject
                        if subject[0] == 60:  # "<": an IRI
                            entities += 1
                    if predicate == _TYPE and obj[0] == 60 and last_type != (subject, obj):
                        classes[obj] += 1
                        last_type = (subject, obj)
                object_lines.append(b"")
                objects.stdin.write(b"\n".join(object_lines))
            if rest:
                raise ValueError("the sorted dump does not end with a newline")
        objects.stdin.close()
    finally:
        chunks.put(None)
        compressor.join()
        if failures:
            raise failures[0]
        if objects.wait() != 0 and not counted:
            raise OSError("sorting the objects of the dump failed")
        reader.join()
    return DatasetCounts(
        triples=triples,
        entities=entities,
        distinct_subjects=subjects,
        distinct_objects=counted[0],
        graphs=len(graphs),
        classes=tuple(sorted((c[1:-1].decode(), n) for c, n in classes.items())),
        properties=tuple(sorted((p[1:-1].decode(), n) for p, n in properties.items())),
    )
