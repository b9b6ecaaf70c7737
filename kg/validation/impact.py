"""Which focus nodes can a changed file affect? A bound from the shapes, proved per component.

Every triple the engine reads while validating a focus node f is read *forwards* (by subject)
along the shapes' paths: the focus node's own triples, its values' `rdf:type`, the triples of
nodes nested shapes are applied to… `reach` is the largest number of forward hops between f and
the subject of any triple read — or None when no bound exists (inverse, `*` or `+` paths,
recursive shapes), and then everything is re-validated. So if a triple (s, p, o) was added or
removed, every focus node whose results may change reaches s in at most `reach` forward hops, in
the graph before or after the change: `affected` walks that many hops backwards from the changed
subjects over both graphs. Two further reads are not by subject and are handled by the caller:
`rdfs:subClassOf` (class membership is global: any change re-validates everything) and
`sh:targetObjectsOf` (the objects of changed triples with those predicates are seeds too).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDFS, SH, URIRef, Variable
from rdflib.collection import Collection
from rdflib.paths import AlternativePath, MulPath, NegatedPath, SequencePath
from rdflib.term import Node

from kg.validation.model import Path, Shape, Shapes
from kg.validation.terms import OxTerm

__all__ = ["affected", "reach", "sparql_reach"]

_NESTED = (SH.node, SH["not"], SH.qualifiedValueShape)
_LISTS = (SH["and"], SH["or"], SH.xone)
_PAIRS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)


def reach(shapes: Shapes) -> int | None:
    """The largest forward distance from a focus node to a subject the shapes read (or None)."""
    best = 0
    for shape in shapes.targeted:
        found = _reach(shapes, shape, frozenset())
        if found is None:
            return None
        best = max(best, found)
    return best


def _path_length(path: Path) -> int | None:
    if isinstance(path, URIRef):
        return 1
    kind, inner = path
    if kind in ("seq", "alt"):
        assert isinstance(inner, list)
        lengths = [_path_length(p) for p in inner]
        if any(n is None for n in lengths):
            return None
        known = [n for n in lengths if n is not None]
        return sum(known) if kind == "seq" else max(known, default=0)
    if kind == "?":
        return _path_length(inner)  # type: ignore[arg-type]
    return None  # inverse, zero-or-more, one-or-more


def _reach(shapes: Shapes, shape: Shape, seen: frozenset[Node]) -> int | None:
    if shape.node in seen:
        return None  # recursive shapes: no bound
    seen = seen | {shape.node}
    depth = 0  # distance of the value nodes from the focus node
    best = 0  # reading the focus node's own triples (its types, targets)
    if shape.path is not None:
        length = _path_length(shape.path)
        if length is None:
            return None
        depth = length
        best = max(best, length - 1)
    params = shape.params
    if SH["class"] in params or SH.closed in params:
        best = max(best, depth)
    for parameter in _PAIRS:
        for other in params.get(parameter, ()):
            if not isinstance(other, URIRef):
                return None
            best = max(best, 0)
    nested: list[Node] = [n for p in _NESTED for n in params.get(p, ())]
    nested += list(params.get(SH.property, ()))
    for parameter in _LISTS:
        for head in params.get(parameter, ()):
            nested.extend(Collection(shapes.graph, head))
    for node in nested:
        inner = _reach(shapes, shapes.get(node), seen)
        if inner is None:
            return None
        best = max(best, depth + inner)
    return best


def affected(
    store: ox.Store,
    removed: Iterable[ox.Quad],
    added: Iterable[ox.Quad],
    hops: int,
    objects_of: set[str],
) -> set[OxTerm]:
    """Focus nodes within `hops` backward hops of a changed triple's subject (see module doc)."""
    old_in: dict[OxTerm, set[OxTerm]] = {}
    seeds: set[OxTerm] = set()
    for quad in [*removed, *added]:
        seeds.add(quad.subject)
        if quad.predicate.value in objects_of:
            seeds.add(quad.object)
        old_in.setdefault(quad.object, set()).add(quad.subject)
    found = set(seeds)
    frontier = seeds
    for _ in range(hops):
        nxt: set[OxTerm] = set()
        for node in frontier:
            if isinstance(node, ox.Literal):
                continue
            nxt.update(q.subject for q in store.quads_for_pattern(None, None, node))
            nxt.update(old_in.get(node, ()))
        frontier = nxt - found
        found |= frontier
    return found


def sparql_reach(query: str) -> int | None:
    """The reach (as `reach`) of a SHACL-SPARQL constraint's query, or None when unbounded.

    Every triple pattern must read by subject along a chain from `$this`: its subject is `$this`
    or a variable bound as the object of an earlier such pattern. A constant or unconnected
    subject, an inverse path, or a `*`/`+` path other than `rdfs:subClassOf*` (covered by the
    global subClassOf rule) gives None, and the constraint is then evaluated for all nodes.
    """
    from rdflib.plugins.sparql import prepareQuery  # only incremental runs parse queries

    try:
        algebra = prepareQuery(query).algebra
    except Exception:  # rdflib raises many kinds; an unparsable query means unbounded
        return None
    patterns: list[tuple[Node, object, Node]] = []
    _collect(algebra, patterns)
    distance: dict[Node, int] = {Variable("this"): 0}
    changed = True
    while changed:
        changed = False
        for subject, predicate, obj in patterns:
            if subject in distance:
                hops = _hops(predicate)
                if hops is None:
                    return None
                if (
                    isinstance(obj, Variable)
                    and distance.get(obj, 1 << 30) > distance[subject] + hops
                ):
                    distance[obj] = distance[subject] + hops
                    changed = True
    best = 0
    for subject, predicate, _ in patterns:
        if subject not in distance:
            return None
        hops = _hops(predicate)
        if hops is None:
            return None
        best = max(best, distance[subject] + max(hops - 1, 0))
    return best


def _collect(node: object, out: list[tuple[Node, object, Node]]) -> None:
    if isinstance(node, dict):  # rdflib's CompValue is a dict
        for key, value in node.items():
            if key == "triples" and isinstance(value, list):
                out.extend((t[0], t[1], t[2]) for t in value)
            else:
                _collect(value, out)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect(item, out)


def _hops(predicate: object) -> int | None:
    """How many forward steps a pattern's predicate or path takes (None: not by subject)."""
    if isinstance(predicate, (URIRef, Variable, NegatedPath)):
        return 1
    if isinstance(predicate, SequencePath):
        steps = [_hops(p) for p in predicate.args]
        return None if any(s is None for s in steps) else sum(s for s in steps if s is not None)
    if isinstance(predicate, AlternativePath):
        steps = [_hops(p) for p in predicate.args]
        return None if any(s is None for s in steps) else max(s for s in steps if s is not None)
    if isinstance(predicate, MulPath) and predicate.path == RDFS.subClassOf:
        return 0
    return None
