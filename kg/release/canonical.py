"""Deterministic blank-node labels, so that unchanged data gives byte-identical dumps.

`kg load` parses every file afresh, and the store gives its blank nodes new random ids each time, so
a naive diff of two releases would report every blank node (citations, time-spans, geometries,
SHACL property shapes, RDF lists) as removed and re-added. Here each blank node gets a label that
depends only on the data around it:

- `down(b)`: a hash of b's outgoing quads (predicate, graph, object), with blank objects replaced by
  their own `down` hash — the content of the tree below b;
- `up(b)`: a hash of b's incoming quads (predicate, graph, subject), with a blank subject replaced
  by its full label — where b hangs in the data;
- the label is `hash(down, up)`, plus an ordinal when siblings under the same parent and predicate
  are identical (they are interchangeable, so any order gives the same quads).

For the tree-shaped blank nodes that Turtle's `[ … ]` and `( … )` syntax produces — all of this
project's data — this is a canonical labelling: isomorphic datasets get identical labels. Blank
nodes in a cycle (only writable with explicit `_:x` labels) still get valid, distinct labels, but
not necessarily the same ones on every run. Lookups go to the store's indexes (SPOG and OSPG) and
results are kept in bounded LRU caches, so memory does not grow with the dataset.

Each blank node also has an *owner*: the smallest IRI found by walking up its incoming edges. The
per-entity change summary attributes a change inside a citation or a time-span to that entity.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

__all__ = ["BlankNodeLabels", "CanonicalQuad", "canonical_quads", "term_text"]

_CACHE_SIZE = 200_000
_CYCLE = b"\x00cycle"


def _hash(parts: list[str]) -> bytes:
    """A 16-byte digest of the sorted parts (sorting makes it independent of index order)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in sorted(parts):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.digest()


class BlankNodeLabels:
    """Canonical labels and owners of the blank nodes of one (read-only) store."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self._down_stack: set[str] = set()
        self._up_stack: set[str] = set()
        self._owner_stack: set[str] = set()
        self.down: Callable[[str], bytes] = lru_cache(maxsize=_CACHE_SIZE)(self._down)
        self.up: Callable[[str], bytes] = lru_cache(maxsize=_CACHE_SIZE)(self._up)
        self.label: Callable[[str], str] = lru_cache(maxsize=_CACHE_SIZE)(self._label)
        self.owner: Callable[[str], str] = lru_cache(maxsize=_CACHE_SIZE)(self._owner)
        self.in_cycle: Callable[[str], bool] = lru_cache(maxsize=_CACHE_SIZE)(self._in_cycle)

    def _in_cycle(self, node: str) -> bool:
        """True if `node` can reach itself through blank subjects of its incoming edges."""
        seen: set[str] = set()
        todo = [node]
        while todo:
            current = todo.pop()
            for quad in self._incoming(current):
                subject = quad.subject
                if not isinstance(subject, ox.BlankNode):
                    continue
                if subject.value == node:
                    return True
                if subject.value not in seen:
                    seen.add(subject.value)
                    todo.append(subject.value)
        return False

    def _down(self, node: str) -> bytes:
        """Hash of the tree below `node`."""
        if node in self._down_stack or self.in_cycle(node):
            return hashlib.blake2b(_CYCLE + node.encode("utf-8"), digest_size=16).digest()
        self._down_stack.add(node)
        try:
            parts = []
            for quad in self._store.quads_for_pattern(ox.BlankNode(node), None, None, None):
                obj = quad.object
                obj_key = "B" + self.down(obj.value).hex() if isinstance(obj, ox.BlankNode) else (
                    str(obj)
                )
                parts.append(f"{quad.predicate.value}\x1e{quad.graph_name}\x1e{obj_key}")
            return _hash(parts)
        finally:
            self._down_stack.discard(node)

    def _up(self, node: str) -> bytes:
        """Hash of where `node` hangs: its incoming edges, with their subjects' labels."""
        if node in self._up_stack:
            return _CYCLE
        self._up_stack.add(node)
        try:
            return _hash([self._incoming_key(q) for q in self._incoming(node)])
        finally:
            self._up_stack.discard(node)

    def _incoming(self, node: str) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, ox.BlankNode(node), None)

    def _incoming_key(self, quad: ox.Quad) -> str:
        subject = quad.subject
        subject_key = (
            "B" + self.label(subject.value) if isinstance(subject, ox.BlankNode) else str(subject)
        )
        return f"{quad.predicate.value}\x1e{quad.graph_name}\x1e{subject_key}"

    def _base(self, node: str) -> str:
        return hashlib.blake2b(self.down(node) + self.up(node), digest_size=16).hexdigest()

    def _label(self, node: str) -> str:
        """`c<32 hex>`, with `n<k>` appended for the k-th of identical siblings (k ≥ 1)."""
        if self.in_cycle(node):  # no canonical label: the store's own id, the same all run long
            return f"x{node}"
        base = self._base(node)
        incoming = sorted(self._incoming(node), key=self._incoming_key)
        if not incoming:
            return f"c{base}"
        first = incoming[0]
        twins = sorted(
            quad.object.value
            for quad in self._store.quads_for_pattern(
                first.subject, first.predicate, None, first.graph_name
            )
            if isinstance(quad.object, ox.BlankNode)
            and quad.object.value != node
            and self._base(quad.object.value) == base
        )
        if not twins:
            return f"c{base}"
        ordinal = sum(1 for twin in twins if twin < node)
        return f"c{base}n{ordinal}" if ordinal else f"c{base}"

    def _owner(self, node: str) -> str:
        """The smallest IRI above `node`, or "" for a blank node that hangs from no IRI."""
        if node in self._owner_stack:
            return ""
        self._owner_stack.add(node)
        try:
            owners = []
            for quad in self._incoming(node):
                subject = quad.subject
                if isinstance(subject, ox.NamedNode):
                    owners.append(subject.value)
                elif isinstance(subject, ox.BlankNode):
                    above = self.owner(subject.value)
                    if above:
                        owners.append(above)
            return min(owners, default="")
        finally:
            self._owner_stack.discard(node)


def term_text(term: object, labels: BlankNodeLabels) -> str:
    """The N-Quads form of a term, blank nodes written with their canonical label."""
    if isinstance(term, ox.BlankNode):
        return "_:" + labels.label(term.value)
    return str(term)


@dataclass(frozen=True, slots=True)
class CanonicalQuad:
    """One quad as a canonical N-Quads line (no newline), with the entity it belongs to."""

    graph: str
    line: str
    owner: str
    type_of_owner: str


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def canonical_quads(store: ox.Store) -> Iterator[CanonicalQuad]:
    """Every quad of the store, in index order, written canonically.

    Raises the recursion limit for the duration: a long RDF list is a long chain of blank nodes,
    and the labels are computed recursively along it.
    """
    labels = BlankNodeLabels(store)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        for quad in store.quads_for_pattern(None, None, None, None):
            subject, predicate, obj = quad.subject, quad.predicate, quad.object
            graph = quad.graph_name
            graph_text = "" if isinstance(graph, ox.DefaultGraph) else term_text(graph, labels)
            parts = [term_text(subject, labels), str(predicate), term_text(obj, labels)]
            if graph_text:
                parts.append(graph_text)
            line = " ".join(parts) + " ."
            if isinstance(subject, ox.NamedNode):
                owner = subject.value
            else:
                owner = labels.owner(subject.value) if isinstance(subject, ox.BlankNode) else ""
            is_type = (
                isinstance(subject, ox.NamedNode)
                and predicate.value == _RDF_TYPE
                and isinstance(obj, ox.NamedNode)
            )
            yield CanonicalQuad(
                graph=graph_text,
                line=line,
                owner=owner,
                type_of_owner=obj.value if is_type and isinstance(obj, ox.NamedNode) else "",
            )
    finally:
        sys.setrecursionlimit(limit)
