"""The release's grouped formats, written by a child process from the store's N-Quads dump.

`python -m kg.release.writers OUT CONTEXT` reads N-Quads on stdin in the store's index order —
every graph one contiguous run, every subject one contiguous run inside it — and writes, in one
pass and in memory bounded by the largest subject (never by the dataset):

- `OUT/dataset.trig.gz`, the whole dataset with its named graphs;
- `OUT/<kind>.ttl.gz`, one Turtle file per kind of source file (`kind_of_graph`);
- `OUT/dataset.jsonld.gz`, compacted with the project context (`kg.release.jsonld`);
- on stdout, for the per-entity change summary, one line per run of a subject's quads in one
  graph, `owner IRI<TAB>hash of the run's N-Quads lines<TAB>`, and one `owner<TAB>t<TAB>type IRI`
  per `rdf:type`. The dump order is a function of the quads alone, so equal data gives equal runs.

Each quad is parsed once (1 MB of lines per parser call); TriG is serialised by pyoxigraph a few
thousand quads at a time, and the Turtle of each kind is the body of that TriG graph block — no
second serialisation.

It runs as a process of its own so that this Python work uses the second core while the parent
streams the dump out of the store and sorts it. The owner of a blank node is the smallest IRI it
hangs from *in the same graph* — one file describes one entity or a small family, so a citation or
a time-span is attributed to the entity of the file that wrote it.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.release.gz import gzip_out
from kg.release.jsonld import JsonLdCompactor, write_jsonld
from kg.release.kinds import kind_of_graph

__all__ = ["GroupedWriters", "main"]

TRIG = "dataset.trig.gz"
JSONLD = "dataset.jsonld.gz"
_TYPE_TOKEN = b" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
_CHUNK = 4096  # quads serialised per call: few calls, small lists
_Node = ox.NamedNode | ox.BlankNode


def _serialize(items: list[ox.Quad] | list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    text = ox.serialize(items, None, fmt, prefixes=PREFIXES)
    assert text is not None  # no output given: pyoxigraph returns the bytes
    return text


def _prefix_header(fmt: ox.RdfFormat) -> bytes:
    """The `@prefix` lines pyoxigraph writes before any triple (it writes all of them)."""
    s, p, o = ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.NamedNode("urn:x:o")
    if fmt == ox.RdfFormat.TRIG:
        text = _serialize([ox.Quad(s, p, o, ox.NamedNode("urn:x:g"))], fmt)
    else:
        text = _serialize([ox.Triple(s, p, o)], fmt)
    end = text.rindex(b"@prefix ")
    return text[: text.index(b"\n", end) + 1]


class GroupedWriters:
    """TriG, per-kind Turtle and entity lines, fed one quad (and its N-Quads line) at a time."""

    def __init__(self, out: Path, stack: ExitStack, entities: IO[bytes]) -> None:
        self._out = out
        self._stack = stack
        self._entities = entities
        self._trig = stack.enter_context(gzip_out(out / TRIG))
        self._trig.write(_prefix_header(ox.RdfFormat.TRIG))
        self._turtle_header = _prefix_header(ox.RdfFormat.TURTLE)
        self._turtle: dict[str, IO[bytes]] = {}
        self._graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None = None
        self._kind = "other"
        self._chunk: list[ox.Quad] = []
        self._run: list[bytes] = []  # the N-Quads lines of the current subject in this graph
        self._run_token = b""
        self._run_subject: _Node | None = None
        self._run_types: list[str] = []
        self._parents: dict[ox.BlankNode, list[_Node]] = defaultdict(list)
        self._pending: list[tuple[ox.BlankNode, str]] = []

    def add(self, quad: ox.Quad, line: bytes) -> None:
        """Take the next quad of the dump and the line it was read from."""
        graph = quad.graph_name
        token = line[: line.index(b" ")]
        if graph != self._graph:
            self._end_run()
            self._end_graph()
            self._graph = graph
            self._kind = kind_of_graph(graph.value) if isinstance(graph, ox.NamedNode) else "other"
        elif token != self._run_token:
            self._end_run()
            if len(self._chunk) >= _CHUNK:
                self._flush()
        if not self._run:
            self._run_token = token
            self._run_subject = quad.subject  # type: ignore[assignment]
        self._run.append(line)
        self._chunk.append(quad)
        obj = quad.object
        if type(obj) is ox.BlankNode:
            self._parents[obj].append(quad.subject)  # type: ignore[arg-type]
        elif type(obj) is ox.NamedNode and line.startswith(_TYPE_TOKEN, len(token)):
            self._run_types.append(obj.value)

    def _end_run(self) -> None:
        """One entity line per subject and graph: a hash of its lines, and its types."""
        if not self._run:
            return
        run_hash = hashlib.blake2b(b"".join(self._run), digest_size=12).hexdigest()
        subject = self._run_subject
        if isinstance(subject, ox.NamedNode):
            self._entity(subject.value, run_hash, "")
            for type_iri in self._run_types:
                self._entity(subject.value, "t", type_iri)
        elif isinstance(subject, ox.BlankNode):
            self._pending.append((subject, run_hash))
        self._run = []
        self._run_types = []

    def _entity(self, owner: str, line_hash: str, type_iri: str) -> None:
        self._entities.write(f"{owner}\t{line_hash}\t{type_iri}\n".encode())

    def _end_graph(self) -> None:
        """Write what is left of the graph; attribute its blank-node runs to their owners."""
        self._flush()
        owners: dict[ox.BlankNode, str] = {}
        for node, run_hash in self._pending:
            owner = self._owner(node, owners, set())
            if owner:
                self._entity(owner, run_hash, "")
        self._pending.clear()
        self._parents.clear()

    def _owner(self, node: ox.BlankNode, owners: dict[ox.BlankNode, str],
               path: set[ox.BlankNode]) -> str:
        """The smallest IRI above `node` in this graph ("" if it hangs from none)."""
        known = owners.get(node)
        if known is not None:
            return known
        if node in path:
            return ""
        path.add(node)
        candidates = []
        for parent in self._parents.get(node, ()):
            if isinstance(parent, ox.NamedNode):
                candidates.append(parent.value)
            else:
                above = self._owner(parent, owners, path)
                if above:
                    candidates.append(above)
        path.discard(node)
        owner = min(candidates, default="")
        owners[node] = owner
        return owner

    def _flush(self) -> None:
        """Serialise the chunk once, as TriG; its graph block's body is the Turtle."""
        chunk = self._chunk
        if not chunk:
            return
        trig = _serialize(chunk, ox.RdfFormat.TRIG)
        body_start = trig.index(b"{\n", trig.rindex(b"@prefix ")) + 2
        body = trig[body_start : trig.rindex(b"}")]
        self._trig.write(trig[trig.index(b"\n", trig.rindex(b"@prefix ")) + 1 :])
        turtle = self._turtle.get(self._kind)
        if turtle is None:
            turtle = self._stack.enter_context(gzip_out(self._out / f"{self._kind}.ttl.gz"))
            turtle.write(self._turtle_header)
            self._turtle[self._kind] = turtle
        turtle.write(body)
        self._chunk = []

    def close(self) -> None:
        """Finish the last graph."""
        self._end_run()
        self._end_graph()


def _quads_with_lines(source: IO[bytes]) -> Iterator[tuple[ox.Quad, bytes]]:
    """Each quad of an N-Quads stream with its line (one quad per line, as `Store.dump` writes),
    parsed 1 MB at a time."""
    while True:
        lines = source.readlines(1 << 20)
        if not lines:
            return
        quads = list(ox.parse(b"".join(lines), ox.RdfFormat.N_QUADS))
        if len(quads) != len(lines):
            raise ValueError("expected one quad per line in the store's dump")
        yield from zip(quads, lines, strict=True)


def write_grouped(source: IO[bytes], out: Path, context: dict[str, object],
                  entities: IO[bytes]) -> None:
    """Read the dump from `source`, write every grouped format to `out` (module docstring)."""
    with ExitStack() as stack:
        writers = GroupedWriters(out, stack, entities)

        def observed() -> Iterator[ox.Quad]:
            for quad, line in _quads_with_lines(source):
                writers.add(quad, line)
                yield quad
            writers.close()

        raw = stack.enter_context(gzip_out(out / JSONLD))
        text = io.TextIOWrapper(raw, encoding="utf-8", write_through=False)
        write_jsonld(observed(), text, compactor=JsonLdCompactor(context))
        text.flush()
        text.detach()


def main(argv: list[str]) -> int:
    """`python -m kg.release.writers OUT CONTEXT_JSONLD`: dump on stdin, entity lines on stdout."""
    out, context_file = Path(argv[0]), Path(argv[1])
    context = json.loads(context_file.read_text(encoding="utf-8"))["@context"]
    write_grouped(sys.stdin.buffer, out, context, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
