"""The shapes graph read into plain objects the engine can evaluate (SHACL Core + sh:sparql).

Reading follows pyshacl's rules (which shapes exist, which have targets, implicit class targets,
sh:deactivated, severities and messages), so both engines start from the same shapes. A shape
using anything outside SHACL Core — a SHACL-AF rule or target, SHACL-JS, a custom constraint
component, an sh:sparql constraint inside a nested shape — raises `UnsupportedShapeError`: a
constraint the engine cannot evaluate must never be dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, SH, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

__all__ = ["Path", "Shape", "Shapes", "UnsupportedShapeError", "read_shapes"]


class UnsupportedShapeError(ValueError):
    """The shapes use a feature this engine does not evaluate (it would otherwise be ignored)."""


# A property path: an IRI, or ("inv", p) | ("seq", [p…]) | ("alt", [p…]) | ("*" | "+" | "?", p)
Path = URIRef | tuple[str, object]

_TARGETS = (SH.targetNode, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)
# Every sh: predicate a shape may carry and what it is; anything else sh: is unsupported.
_PARAMETERS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH.uniqueLang,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.node,
    SH.property,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.closed,
    SH.ignoredProperties,
    SH.hasValue,
    SH["in"],
    SH.sparql,
}
_DESCRIPTIVE = {
    SH.path,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    *_TARGETS,
}
_UNSUPPORTED = {
    SH.target,
    SH.rule,
    SH.js,
    SH.condition,
    URIRef(str(SH) + "expression"),
    URIRef(str(SH) + "values"),
}


@dataclass(eq=False)
class Shape:
    """One shape: its node in the shapes graph, targets, path (property shapes) and parameters."""

    node: Node
    path: Path | None
    path_node: Node | None
    severity: Node
    messages: tuple[str, ...]
    deactivated: bool
    params: dict[URIRef, list[Node]]
    target_nodes: list[Node] = field(default_factory=list)
    target_classes: list[Node] = field(default_factory=list)
    target_subjects_of: list[Node] = field(default_factory=list)
    target_objects_of: list[Node] = field(default_factory=list)
    lists: dict[URIRef, list[Node]] = field(default_factory=dict)
    # Local names of the parameters present: a str set is a fast test in the evaluation loop.
    present: frozenset[str] = frozenset()
    # The parameters by local name ("class", "minCount"…): str keys hash and compare in C,
    # rdflib URIRefs in Python.
    named: dict[str, list[Node]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.named = {str(p)[len(str(SH)) :]: v for p, v in self.params.items()}
        self.present = frozenset(self.named)

    @property
    def has_targets(self) -> bool:
        return bool(
            self.target_nodes
            or self.target_classes
            or self.target_subjects_of
            or self.target_objects_of
        )

    def one(self, parameter: URIRef) -> Node | None:
        values = self.params.get(parameter)
        if not values:
            return None
        if len(values) > 1 and parameter not in _MULTI:
            raise UnsupportedShapeError(f"{self.node}: more than one {parameter}")
        return values[0]


_MULTI = {
    SH["class"],
    SH.datatype,
    SH.pattern,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.node,
    SH.property,
    SH.hasValue,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.nodeKind,
    SH.minLength,
    SH.maxLength,
    SH.languageIn,
    SH["in"],
    SH.qualifiedValueShape,
    SH.sparql,
}


@dataclass
class Shapes:
    """All shapes of a shapes graph, by node; `targeted` are the ones validation starts from."""

    graph: Graph
    by_node: dict[Node, Shape]
    targeted: list[Shape]

    def get(self, node: Node) -> Shape:
        found = self.by_node.get(node)
        if found is None:
            found = self.by_node[node] = _read_shape(self.graph, node)
        return found


def read_shapes(graph: Graph) -> Shapes:
    """Every shape pyshacl would find, with the targeted ones in a stable order."""
    if (None, RDF.type, SH.ConstraintComponent) in graph:
        raise UnsupportedShapeError("custom constraint components (sh:ConstraintComponent)")
    for predicate in _UNSUPPORTED:
        for subject in graph.subjects(predicate, None):
            raise UnsupportedShapeError(f"{subject}: {predicate} is not SHACL Core")
    nodes: set[Node] = set()
    nodes.update(graph.subjects(RDF.type, SH.NodeShape))
    nodes.update(graph.subjects(RDF.type, SH.PropertyShape))
    for predicate in _TARGETS:
        nodes.update(graph.subjects(predicate, None))
    nodes.update(graph.subjects(SH.path, None))
    for predicate in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"]):
        nodes.update(graph.objects(None, predicate))
    for predicate in (SH["and"], SH["or"], SH.xone):
        for head in graph.objects(None, predicate):
            nodes.update(Collection(graph, head))
    implicit = {RDFS.Class, *graph.subjects(RDFS.subClassOf, RDFS.Class)}
    for node in list(graph.subjects(RDF.type, None)):
        if implicit & set(graph.objects(node, RDF.type)) and (
            (node, RDF.type, SH.NodeShape) in graph or (node, RDF.type, SH.PropertyShape) in graph
        ):
            nodes.add(node)
    by_node = {node: _read_shape(graph, node) for node in nodes if not isinstance(node, Literal)}
    for shape in by_node.values():
        if SH.sparql in shape.params and not shape.has_targets:
            raise UnsupportedShapeError(f"{shape.node}: sh:sparql in a shape without targets")
    targeted = sorted((s for s in by_node.values() if s.has_targets), key=lambda s: str(s.node))
    return Shapes(graph, by_node, targeted)


def _read_shape(graph: Graph, node: Node) -> Shape:
    params: dict[URIRef, list[Node]] = {}
    for predicate, value in graph.predicate_objects(node):
        if not isinstance(predicate, URIRef) or not str(predicate).startswith(str(SH)):
            continue
        if predicate in _UNSUPPORTED:
            raise UnsupportedShapeError(f"{node}: {predicate} is not SHACL Core")
        if predicate in _PARAMETERS:
            params.setdefault(predicate, []).append(value)
        elif predicate not in _DESCRIPTIVE:
            raise UnsupportedShapeError(f"{node}: unknown SHACL parameter {predicate}")
    path_node = graph.value(node, SH.path)
    implicit = {RDFS.Class, *graph.subjects(RDFS.subClassOf, RDFS.Class)}
    is_class = bool(implicit & set(graph.objects(node, RDF.type)))
    deactivated = any(
        isinstance(d, Literal) and d.value is True for d in graph.objects(node, SH.deactivated)
    )
    lists: dict[URIRef, list[Node]] = {}
    for predicate in (SH["and"], SH["or"], SH.xone, SH["in"], SH.languageIn, SH.ignoredProperties):
        for head in params.get(predicate, []):
            lists.setdefault(predicate, []).extend(Collection(graph, head))
    return Shape(
        node=node,
        path=None if path_node is None else _read_path(graph, path_node),
        path_node=path_node,
        severity=graph.value(node, SH.severity) or SH.Violation,
        messages=tuple(str(m) for m in graph.objects(node, SH.message) if isinstance(m, Literal)),
        deactivated=deactivated,
        params=params,
        target_nodes=list(graph.objects(node, SH.targetNode)),
        target_classes=list(graph.objects(node, SH.targetClass)) + ([node] if is_class else []),
        target_subjects_of=list(graph.objects(node, SH.targetSubjectsOf)),
        target_objects_of=list(graph.objects(node, SH.targetObjectsOf)),
        lists=lists,
    )


def _read_path(graph: Graph, node: Node) -> Path:
    if isinstance(node, URIRef):
        return node
    if not isinstance(node, BNode):
        raise UnsupportedShapeError(f"invalid sh:path {node!r}")
    if (node, RDF.first, None) in graph:
        return ("seq", [_read_path(graph, n) for n in Collection(graph, node)])
    for predicate, kind in (
        (SH.inversePath, "inv"),
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(node, predicate)
        if inner is not None:
            return (kind, _read_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return ("alt", [_read_path(graph, n) for n in Collection(graph, alternatives)])
    raise UnsupportedShapeError(f"unsupported sh:path {node!r}")


def path_predicates(path: Path) -> Iterator[tuple[URIRef, bool]]:
    """Every predicate a path follows, with True when it is followed backwards (inverse)."""
    if isinstance(path, URIRef):
        yield path, False
        return
    kind, inner = path
    if kind in ("seq", "alt"):
        assert isinstance(inner, list)
        for part in inner:
            yield from path_predicates(part)
    elif kind == "inv":
        for predicate, backwards in path_predicates(inner):  # type: ignore[arg-type]
            yield predicate, not backwards
    else:
        yield from path_predicates(inner)  # type: ignore[arg-type]
