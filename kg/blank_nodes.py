"""Canonical blank-node labels given at load time, one source file at a time.

A Turtle parser gives every `[ … ]` and `( … )` a fresh random id, so two loads of the same files
hold different blank nodes, and a release diffed against the previous one would report every
citation, time-span and geometry as removed and re-added. Labelling them here, while each file is
small and in memory, lets `kg release` stream the store as it is (from Rust, in constant memory)
instead of relabelling a whole store through its indexes.

A blank node's label depends only on the file's graph IRI and on the file's content — not on the
order of its statements, nor on the ids the parser chose:

- `down(b)`: a hash of b's outgoing edges (predicate, object), a blank object replaced by its own
  `down` — the content of the tree below b;
- `up(b)`: a hash of b's incoming edges (predicate, subject), a blank subject replaced by its
  label — where b hangs; labels are given parents first, so a parent's label is known;
- `label(b) = "c" + hash(graph IRI, down, up)`, plus `n<k>` for the k-th of nodes with equal hashes.
  For the tree-shaped nodes Turtle's bracket syntax writes, equal hashes mean interchangeable
  twins (same subtree, same parent and predicate), so any numbering gives the same triples.

The graph IRI is part of the hash because blank-node labels are global in a store: two files with
identical citations must not share a node. Nodes in a cycle (only writable with explicit `_:x`
labels) get `x` + a hash of the cycle-cut unfolding below them; twins among those are numbered
in parser order, which is the one case where reloading may give different labels.
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

__all__ = ["LABEL_SCHEME", "canonical_file_quads", "has_blank_nodes"]

LABEL_SCHEME = "kg-file-labels/1"
"""Written into each build that was labelled this way (see `kg.store`); a release trusts it."""

_CYCLE = "\x00cycle"
_Term = ox.NamedNode | ox.BlankNode | ox.Literal
_Blank = ox.BlankNode


def has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    """True when any quad has a blank subject or object."""
    return any(type(q.subject) is _Blank or type(q.object) is _Blank for q in quads)


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in sorted(parts):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


class _FileLabeller:
    """The labelling of one file's blank nodes (see the module docstring).

    Blank nodes are keyed by the parser's `BlankNode` objects themselves (hashable, compared by
    id), which avoids building strings for every edge on this hot path of `kg load`.
    """

    def __init__(
        self,
        graph_iri: str,
        out: dict[ox.BlankNode, list[tuple[str, _Term]]],
        into: dict[ox.BlankNode, list[tuple[str, _Term]]],
        nodes: Sequence[ox.BlankNode],
    ) -> None:
        self.graph_iri = graph_iri
        self.out = out
        self.into = into
        self.nodes = nodes
        self._down: dict[ox.BlankNode, str] = {}
        self.labels: dict[ox.BlankNode, str] = {}

    def down(self, node: ox.BlankNode, path: set[ox.BlankNode]) -> str:
        """Hash of the tree below `node`; an edge back onto `path` counts as a cycle marker."""
        return self._down_of(node, path)[0]

    def _down_of(self, node: ox.BlankNode, path: set[ox.BlankNode]) -> tuple[str, bool]:
        """`down` and whether a cycle was cut below; only cycle-free results are kept, since
        they do not depend on the path they were reached by."""
        known = self._down.get(node)
        if known is not None:
            return known, False
        if node in path:
            return _CYCLE, True
        path.add(node)
        parts = []
        cut = False
        for p, o in self.out.get(node, ()):
            if type(o) is _Blank:
                below, cut_below = self._down_of(o, path)
                cut = cut or cut_below
                parts.append(f"{p}\x1eB{below}")
            else:
                parts.append(f"{p}\x1e{o}")
        path.discard(node)
        value = _digest(parts)
        if not cut:
            self._down[node] = value
        return value, cut

    def label_all(self) -> dict[ox.BlankNode, str]:
        """Labels for every blank node: parents before children (Kahn's order), then cycles."""
        waiting: dict[ox.BlankNode, int] = {}
        children: dict[ox.BlankNode, list[ox.BlankNode]] = defaultdict(list)
        for n in self.nodes:
            count = 0
            for _, s in self.into.get(n, ()):
                if type(s) is _Blank:
                    count += 1
                    children[s].append(n)
            waiting[n] = count
        ready = [n for n, count in waiting.items() if count == 0]
        while ready:
            bases: dict[str, list[ox.BlankNode]] = defaultdict(list)
            for n in ready:
                up = _digest(
                    f"{p}\x1eB{self.labels[s]}" if type(s) is _Blank else f"{p}\x1e{s}"
                    for p, s in self.into.get(n, ())
                )
                base = _digest((self.graph_iri, "d" + self.down(n, set()), "u" + up))
                bases[base].append(n)
            self._number(bases, "c")
            next_ready = []
            for n in ready:
                for child in children.get(n, ()):
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        next_ready.append(child)
            ready = next_ready
        cyclic = [n for n in self.nodes if n not in self.labels]
        if cyclic:
            bases = defaultdict(list)
            for n in cyclic:
                bases[_digest((self.graph_iri, "d" + self.down(n, set())))].append(n)
            self._number(bases, "x")
        return self.labels

    def _number(self, bases: dict[str, list[ox.BlankNode]], prefix: str) -> None:
        for base, group in bases.items():
            for ordinal, n in enumerate(group):
                self.labels[n] = f"{prefix}{base}n{ordinal}" if ordinal else f"{prefix}{base}"


def canonical_file_quads(graph_iri: str, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """A parsed file's triples as quads in its graph, blank nodes relabelled canonically.

    The recursion limit is raised for the call: a long RDF list is a long chain of blank nodes.
    """
    out: dict[ox.BlankNode, list[tuple[str, _Term]]] = defaultdict(list)
    into: dict[ox.BlankNode, list[tuple[str, _Term]]] = defaultdict(list)
    nodes: dict[ox.BlankNode, None] = {}
    rows = []
    for s, p, o, _ in quads:
        s_blank, o_blank = type(s) is _Blank, type(o) is _Blank
        if s_blank:
            out[s].append((p.value, o))
            nodes[s] = None
        if o_blank:
            into[o].append((p.value, s))
            nodes[o] = None
        rows.append((s, p, o, s_blank, o_blank))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        labels = _FileLabeller(graph_iri, out, into, list(nodes)).label_all()
    finally:
        sys.setrecursionlimit(limit)
    graph = ox.NamedNode(graph_iri)
    renamed = {old: ox.BlankNode(new) for old, new in labels.items()}
    return [
        ox.Quad(renamed[s] if s_blank else s, p, renamed[o] if o_blank else o, graph)
        for s, p, o, s_blank, o_blank in rows
    ]
