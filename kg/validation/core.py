"""SHACL Core evaluated over an Oxigraph store, with pyshacl's answers.

Why not pyshacl: it walks an rdflib graph node by node (10 minutes for 1M triples). Here the data
stays in Oxigraph: targets are SPARQL queries (`rdf:type/rdfs:subClassOf*` for classes), class
membership is one query per class used by `sh:class`, values are read with
`quads_for_pattern`, and conformance of a node to a nested shape (`sh:node`, `sh:or` …) is
remembered, since a few hundred concepts are checked again and again.

Every component follows pyshacl 0.40's implementation, not only the spec, where the two could
differ (which results carry a value, how `sh:datatype` treats ill-typed literals, the string form
`sh:pattern` matches, how `sh:lessThan` compares): the point is identical results. Literal-level
checks run on the rdflib literal pyshacl would have built from the file (`kg.validation.terms`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
from rdflib import RDF, RDFS, SH, XSD, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.validation.model import Path, Shape, Shapes, UnsupportedShapeError
from kg.validation.results import RawResult
from kg.validation.terms import OxTerm, to_ox, to_rdflib

__all__ = ["CoreEvaluator"]

# SHACL parameters as constants: rdflib's namespace attribute look-up is slow in hot loops.
_SH = str(SH)
P_and = URIRef(_SH + "and")
P_class = URIRef(_SH + "class")
P_closed = URIRef(_SH + "closed")
P_datatype = URIRef(_SH + "datatype")
P_disjoint = URIRef(_SH + "disjoint")
P_equals = URIRef(_SH + "equals")
P_hasValue = URIRef(_SH + "hasValue")
P_ignoredProperties = URIRef(_SH + "ignoredProperties")
P_in = URIRef(_SH + "in")
P_languageIn = URIRef(_SH + "languageIn")
P_lessThan = URIRef(_SH + "lessThan")
P_lessThanOrEquals = URIRef(_SH + "lessThanOrEquals")
P_maxCount = URIRef(_SH + "maxCount")
P_maxLength = URIRef(_SH + "maxLength")
P_minCount = URIRef(_SH + "minCount")
P_minLength = URIRef(_SH + "minLength")
P_node = URIRef(_SH + "node")
P_nodeKind = URIRef(_SH + "nodeKind")
P_not = URIRef(_SH + "not")
P_or = URIRef(_SH + "or")
P_pattern = URIRef(_SH + "pattern")
P_property = URIRef(_SH + "property")
P_qualifiedMaxCount = URIRef(_SH + "qualifiedMaxCount")
P_qualifiedMinCount = URIRef(_SH + "qualifiedMinCount")
P_qualifiedValueShape = URIRef(_SH + "qualifiedValueShape")
P_qualifiedValueShapesDisjoint = URIRef(_SH + "qualifiedValueShapesDisjoint")
P_sparql = URIRef(_SH + "sparql")
P_uniqueLang = URIRef(_SH + "uniqueLang")
P_xone = URIRef(_SH + "xone")

_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_XSD_STRING = XSD.string
_RDFS_LITERAL = RDFS.Literal
_RDFS_DATATYPE = RDFS.Datatype
_LANG_STRING = RDF.langString
_PAIR_NAMES = frozenset({"equals", "disjoint", "lessThan", "lessThanOrEquals"})


class CoreEvaluator:
    """Evaluates shapes over one store; caches are valid while the store does not change."""

    def __init__(self, store: ox.Store, shapes: Shapes) -> None:
        self.store = store
        self.shapes = shapes
        self._instances: dict[Node, frozenset[OxTerm]] = {}
        self._conforms: dict[tuple[Node, OxTerm], bool] = {}
        self._lists: dict[Node, list[Node]] = {}
        self._supers: dict[OxTerm, frozenset[OxTerm]] = {}
        self._patterns: dict[tuple[Node, Node], re.Pattern[str]] = {}

    # -- targets ---------------------------------------------------------------------------

    def focus_nodes(self, shape: Shape) -> list[OxTerm]:
        """pyshacl's focus nodes of a shape (targetNode, class + subclasses, subjects/objects)."""
        found: dict[OxTerm, None] = {}
        for node in shape.target_nodes:
            found[to_ox(node)] = None
        for cls in shape.target_classes:
            found.update(dict.fromkeys(sorted(self.instances(cls), key=str)))
        for predicate in shape.target_subjects_of:
            if isinstance(predicate, URIRef):
                found.update(
                    dict.fromkeys(
                        self._select(f"SELECT DISTINCT ?x WHERE {{ ?x <{predicate}> ?o }}")
                    )
                )
        for predicate in shape.target_objects_of:
            if isinstance(predicate, URIRef):
                found.update(
                    dict.fromkeys(
                        self._select(f"SELECT DISTINCT ?x WHERE {{ ?s <{predicate}> ?x }}")
                    )
                )
        return list(found)

    def is_instance(self, node: OxTerm, cls: OxTerm) -> bool:
        """pyshacl's class test: some rdf:type of the node is cls or a subclass of it."""
        return any(cls in self._superclasses(t) for t in self._objects(node, _TYPE))

    def _superclasses(self, cls: OxTerm) -> frozenset[OxTerm]:
        """cls and everything above it by rdfs:subClassOf (memoised: classes are few)."""
        found = self._supers.get(cls)
        if found is None:
            seen = {cls}
            todo = [cls]
            while todo:
                for parent in self._objects(todo.pop(), _SUBCLASS):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            found = self._supers[cls] = frozenset(seen)
        return found

    def is_focus(self, shape: Shape, node: OxTerm) -> bool:
        """Whether `node` is a focus node of `shape` (the per-node form of `focus_nodes`)."""
        if any(to_ox(n) == node for n in shape.target_nodes):
            return True
        if isinstance(node, ox.Literal):
            return False
        if shape.target_classes and any(
            self.is_instance(node, to_ox(c)) for c in shape.target_classes
        ):
            return True
        for predicate in shape.target_subjects_of:
            pred = ox.NamedNode(str(predicate))
            if next(iter(self.store.quads_for_pattern(node, pred, None)), None) is not None:
                return True
        for predicate in shape.target_objects_of:
            pred = ox.NamedNode(str(predicate))
            if next(iter(self.store.quads_for_pattern(None, pred, node)), None) is not None:
                return True
        return False

    def instances(self, cls: Node) -> frozenset[OxTerm]:
        """Nodes with rdf:type C or a subclass of C (pyshacl: type, then subClassOf closure)."""
        found = self._instances.get(cls)
        if found is None:
            if isinstance(cls, URIRef):
                found = frozenset(
                    self._select(
                        f"SELECT DISTINCT ?x WHERE {{ ?x a/<{RDFS.subClassOf}>* <{cls}> }}"
                    )
                )
            else:
                found = self._instances_python(to_ox(cls))
            self._instances[cls] = found
        return found

    def _instances_python(self, cls: OxTerm) -> frozenset[OxTerm]:
        classes = {cls}
        todo = [cls]
        while todo:
            for sub in self._subjects(_SUBCLASS, todo.pop()):
                if sub not in classes:
                    classes.add(sub)
                    todo.append(sub)
        return frozenset(s for c in classes for s in self._subjects(_TYPE, c))

    def _select(self, query: str) -> list[OxTerm]:
        solutions = self.store.query(query, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        return [row[0] for row in solutions]

    # -- graph access ----------------------------------------------------------------------

    def _objects(self, subject: OxTerm, predicate: ox.NamedNode) -> list[OxTerm]:
        if isinstance(subject, ox.Literal):
            return []
        return list(
            {q.object: None for q in self.store.quads_for_pattern(subject, predicate, None)}
        )

    def _subjects(self, predicate: ox.NamedNode, obj: OxTerm) -> list[OxTerm]:
        return list({q.subject: None for q in self.store.quads_for_pattern(None, predicate, obj)})

    def predicate_objects(self, subject: OxTerm) -> list[tuple[ox.NamedNode, OxTerm]]:
        if isinstance(subject, ox.Literal):
            return []
        return list(
            {
                (q.predicate, q.object): None
                for q in self.store.quads_for_pattern(subject, None, None)
            }
        )

    def values(self, node: OxTerm, path: Path) -> list[OxTerm]:
        """The value nodes of `path` from `node`, as a set (literals equal as rdflib sees them)."""
        found = self._path(node, path)
        if len(found) > 1 and any(isinstance(v, ox.Literal) for v in found):
            unique: dict[Node, OxTerm] = {}
            for value in found:
                unique.setdefault(to_rdflib(value), value)
            return list(unique.values())
        return found

    def _path(self, node: OxTerm, path: Path) -> list[OxTerm]:
        if isinstance(path, URIRef):
            return self._objects(node, ox.NamedNode(str(path)))
        kind, inner = path
        if kind == "inv":
            assert isinstance(inner, URIRef), "only inverses of IRIs are evaluated directly"
            return self._subjects(ox.NamedNode(str(inner)), node)
        if kind == "seq":
            assert isinstance(inner, list)
            current = [node]
            for step in inner:
                nxt: dict[OxTerm, None] = {}
                for item in current:
                    nxt.update(dict.fromkeys(self._path(item, step)))
                current = list(nxt)
            return current
        if kind == "alt":
            assert isinstance(inner, list)
            out: dict[OxTerm, None] = {}
            for step in inner:
                out.update(dict.fromkeys(self._path(node, step)))
            return list(out)
        assert not isinstance(inner, list)
        step_path: Path = inner  # type: ignore[assignment]
        if kind == "?":
            return list(dict.fromkeys([node, *self._path(node, step_path)]))
        seen: dict[OxTerm, None] = {node: None} if kind == "*" else {}
        todo = [node]
        while todo:
            for value in self._path(todo.pop(), step_path):
                if value not in seen:
                    seen[value] = None
                    todo.append(value)
        return list(seen)

    # -- validation ------------------------------------------------------------------------

    def conforms(self, shape_node: Node, node: OxTerm) -> bool:
        key = (shape_node, node)
        found = self._conforms.get(key)
        if found is None:
            found = not self.validate(self.shapes.get(shape_node), [node], first_only=True)
            self._conforms[key] = found
        return found

    def validate(
        self, shape: Shape, focus: Sequence[OxTerm], *, first_only: bool = False
    ) -> list[RawResult]:
        """All results of `shape` for the given focus nodes (stop at the first if first_only)."""
        if shape.deactivated:
            return []
        out: list[RawResult] = []
        for f in focus:
            vals = [f] if shape.path is None else self.values(f, shape.path)
            self._check(shape, f, vals, out, first_only)
            if first_only and out:
                break
        return out

    def _check(
        self, shape: Shape, f: OxTerm, vals: list[OxTerm], out: list[RawResult], first_only: bool
    ) -> None:
        params = shape.params
        present = shape.present
        named = shape.named
        if "sparql" in present:
            raise UnsupportedShapeError(f"{shape.node}: sh:sparql here cannot be moved to Oxigraph")

        def report(component: str, value: OxTerm | None, path: Node | None = None) -> None:
            out.append(self._result(shape, f, component, value, path))

        for cls in named.get("class", ()):
            target = to_ox(cls)
            for v in vals:
                if isinstance(v, ox.Literal) or not self.is_instance(v, target):
                    report("ClassConstraintComponent", v)
        for datatype in named.get("datatype", ()):
            for v in vals:
                if not _datatype_matches(to_rdflib(v), datatype):
                    report("DatatypeConstraintComponent", v)
        for kind in named.get("nodeKind", ()):
            allowed = _NODE_KINDS.get(kind)
            if allowed is None:
                raise UnsupportedShapeError(f"{shape.node}: unknown sh:nodeKind {kind}")
            for v in vals:
                if not isinstance(v, allowed):
                    report("NodeKindConstraintComponent", v)
        if shape.path is not None:
            for bound in named.get("minCount", ()):
                if len(vals) < _int(bound, shape):
                    report("MinCountConstraintComponent", None)
            for bound in named.get("maxCount", ()):
                if len(vals) > _int(bound, shape):
                    report("MaxCountConstraintComponent", None)
        elif "minCount" in present or "maxCount" in present:
            raise UnsupportedShapeError(f"{shape.node}: sh:minCount/maxCount on a node shape")
        for parameter, component, accept in _RANGES if present & _RANGE_NAMES else ():
            for bound in params.get(parameter, ()):
                for v in vals:
                    if not _in_range(to_rdflib(v), bound, accept):
                        report(component, v)
        lengths = ((P_minLength, "MinLength"), (P_maxLength, "MaxLength"))
        for parameter, component in lengths if present & _LENGTH_NAMES else ():
            for bound in params.get(parameter, ()):
                limit = _int(bound, shape)
                for v in vals:
                    term = to_rdflib(v)
                    ok = not isinstance(term, BNode) and (
                        len(_string(term)) >= limit
                        if parameter == P_minLength
                        else len(_string(term)) <= limit
                    )
                    if not ok:
                        report(f"{component}ConstraintComponent", v)
        for pattern in named.get("pattern", ()):
            matcher = self._pattern(shape, pattern)
            for v in vals:
                term = to_rdflib(v)
                if isinstance(term, BNode) or not matcher.search(_string(term)):
                    report("PatternConstraintComponent", v)
        if "languageIn" in present:
            wanted = {str(x).lower() for x in shape.lists.get(P_languageIn, [])}
            for v in vals:
                term = to_rdflib(v)
                lang = term.language if isinstance(term, Literal) else None
                if not lang or not (
                    "*" in wanted or lang.lower() in wanted or lang.split("-")[0].lower() in wanted
                ):
                    report("LanguageInConstraintComponent", v)
        for unique in named.get("uniqueLang", ()):
            if shape.path is None:
                raise UnsupportedShapeError(f"{shape.node}: sh:uniqueLang on a node shape")
            if isinstance(unique, Literal) and unique.value is True:
                seen: set[str] = set()
                duplicates: dict[str, None] = {}
                for v in vals:
                    term = to_rdflib(v)
                    if isinstance(term, Literal) and term.language:
                        low = term.language.lower()
                        if low in seen:
                            duplicates[low] = None
                        seen.add(low)
                for _ in duplicates:
                    report("UniqueLangConstraintComponent", None)
        if present & _PAIR_NAMES:
            self._pairs(shape, f, vals, report)
        for inner in named.get("not", ()):
            for v in vals:
                if self.conforms(inner, v):
                    report("NotConstraintComponent", v)
        for head in named.get("and", ()):
            conjuncts = self._members(head)
            for v in vals:
                if not all(self.conforms(m, v) for m in conjuncts):
                    report("AndConstraintComponent", v)
        for head in named.get("or", ()):
            disjuncts = self._members(head)
            for v in vals:
                if not any(self.conforms(m, v) for m in disjuncts):
                    report("OrConstraintComponent", v)
        for head in named.get("xone", ()):
            options = self._members(head)
            for v in vals:
                if sum(1 for m in options if self.conforms(m, v)) != 1:
                    report("XoneConstraintComponent", v)
        for inner in named.get("node", ()):
            for v in vals:
                if not self.conforms(inner, v):
                    report("NodeConstraintComponent", v)
        for inner in named.get("property", ()):
            out.extend(self.validate(self.shapes.get(inner), vals, first_only=first_only))
        if "qualifiedValueShape" in present:
            self._qualified(shape, vals, report)
        for closed in named.get("closed", ()):
            if isinstance(closed, Literal) and closed.value is True:
                permitted = {ox.NamedNode(str(p)) for p in shape.lists.get(P_ignoredProperties, [])}
                for inner in named.get("property", ()):
                    path = self.shapes.get(inner).path
                    if isinstance(path, URIRef):
                        permitted.add(ox.NamedNode(str(path)))
                for v in vals:
                    for predicate, obj in self.predicate_objects(v):
                        if predicate not in permitted:
                            report("ClosedConstraintComponent", obj, to_rdflib(predicate))
        for expected in named.get("hasValue", ()):
            if not any(to_rdflib(v) == expected for v in vals):
                report("HasValueConstraintComponent", None)
        if "in" in present:
            allowed_values = set(shape.lists.get(P_in, []))
            for v in vals:
                if to_rdflib(v) not in allowed_values:
                    report("InConstraintComponent", v)

    def _pairs(self, shape: Shape, f: OxTerm, vals: list[OxTerm], report: _Report) -> None:
        params = shape.params
        present = shape.present
        if not present & _PAIR_NAMES:
            return
        named = shape.named
        mine = {to_rdflib(v): v for v in vals}
        for other in named.get("equals", ()):
            theirs = {to_rdflib(v): v for v in self.values(f, _iri(other, shape))}
            for term, v in mine.items():
                if term not in theirs:
                    report("EqualsConstraintComponent", v)
            for term, v in theirs.items():
                if term not in mine:
                    report("EqualsConstraintComponent", v)
        for other in named.get("disjoint", ()):
            shared = {to_rdflib(v) for v in self.values(f, _iri(other, shape))}
            for term, v in mine.items():
                if term in shared:
                    report("DisjointConstraintComponent", v)
        for parameter, component, strict in (
            (P_lessThan, "LessThanConstraintComponent", True),
            (P_lessThanOrEquals, "LessThanOrEqualsConstraintComponent", False),
        ):
            for other in params.get(parameter, ()):
                if shape.path is None:
                    raise UnsupportedShapeError(f"{shape.node}: {parameter} on a node shape")
                theirs_list = [to_rdflib(v) for v in self.values(f, _iri(other, shape))]
                for term, v in mine.items():
                    for compare in theirs_list:
                        if not _less(term, compare, strict):
                            report(component, v)

    def _qualified(self, shape: Shape, vals: list[OxTerm], report: _Report) -> None:
        graph = self.shapes.graph
        minimum = shape.one(P_qualifiedMinCount)
        maximum = shape.one(P_qualifiedMaxCount)
        disjoint = any(
            isinstance(d, Literal) and d.value is True
            for d in shape.params.get(P_qualifiedValueShapesDisjoint, ())
        )
        for inner in shape.params.get(P_qualifiedValueShape, ()):
            siblings: set[Node] = set()
            if disjoint:
                for parent in graph.subjects(P_property, shape.node):
                    for prop in graph.objects(parent, P_property):
                        siblings.update(graph.objects(prop, P_qualifiedValueShape))
                siblings.discard(inner)
            count = sum(
                1
                for v in vals
                if self.conforms(inner, v) and not any(self.conforms(s, v) for s in siblings)
            )
            if minimum is not None and count < _int(minimum, shape):
                report("QualifiedMinCountConstraintComponent", None)
            if maximum is not None and count > _int(maximum, shape):
                report("QualifiedMaxCountConstraintComponent", None)

    def _members(self, head: Node) -> list[Node]:
        found = self._lists.get(head)
        if found is None:
            found = self._lists[head] = list(Collection(self.shapes.graph, head))
        return found

    def _pattern(self, shape: Shape, pattern: Node) -> re.Pattern[str]:
        key = (shape.node, pattern)
        found = self._patterns.get(key)
        if found is None:
            flags_node = shape.params.get(SH.flags, [None])[0]
            flags = 0
            if isinstance(flags_node, Literal):
                text = str(flags_node).lower()
                flags |= re.I if "i" in text else 0
                flags |= re.M if "m" in text else 0
            found = re.compile(str(pattern), flags)
            self._patterns[key] = found
        return found

    def _result(
        self, shape: Shape, f: OxTerm, component: str, value: OxTerm | None, path: Node | None
    ) -> RawResult:
        result_path = path if path is not None else shape.path_node
        if value is None and shape.path is None and component not in _NO_VALUE:
            value = f
        return RawResult(
            focus=to_rdflib(f),
            path=result_path,
            value=None if value is None else to_rdflib(value),
            source_shape=shape.node,
            component=SH[component],
            severity=shape.severity,
            message=" / ".join(sorted(shape.messages)) if shape.messages else _generic(component),
        )


def _compare(value: Literal, bound: Literal) -> int:
    """pyshacl 0.40's `rdfutil.compare.compare_literal`, line for line (Apache-2.0).

    Copied rather than imported: importing it runs pyshacl's package init, ~1-2.5 s of the
    couple of seconds a re-validation after one edit may take. Raises TypeError or
    NotImplementedError for incomparable literals, as the original does; a test checks the two
    agree on a table of literals.
    """
    if value.eq(bound):
        return 0
    # Not equal, and no TypeError/NotImplementedError: the datatypes are comparable.
    if value.value.__class__ in _FORCE_COMPARE_LITERAL_VALUE:
        if value.value == bound.value:
            return 0
        if value.value > bound.value:
            return 1
    elif value > bound:
        return 1
    return -1


# rdflib orders these through TOTAL_ORDER_CASTERS; pyshacl compares their values instead.
_FORCE_COMPARE_LITERAL_VALUE = (datetime, time)

_RANGE_NAMES = frozenset({"minExclusive", "minInclusive", "maxExclusive", "maxInclusive"})
_LENGTH_NAMES = frozenset({"minLength", "maxLength"})

_NO_VALUE = {
    "MinCountConstraintComponent",
    "MaxCountConstraintComponent",
    "UniqueLangConstraintComponent",
    "QualifiedMinCountConstraintComponent",
    "QualifiedMaxCountConstraintComponent",
    "HasValueConstraintComponent",
}
_NODE_KINDS: dict[Node, tuple[type, ...]] = {
    SH.IRI: (ox.NamedNode,),
    SH.BlankNode: (ox.BlankNode,),
    SH.Literal: (ox.Literal,),
    SH.BlankNodeOrIRI: (ox.BlankNode, ox.NamedNode),
    SH.BlankNodeOrLiteral: (ox.BlankNode, ox.Literal),
    SH.IRIOrLiteral: (ox.NamedNode, ox.Literal),
}
_RANGES = (
    (SH.minExclusive, "MinExclusiveConstraintComponent", (1,)),
    (SH.minInclusive, "MinInclusiveConstraintComponent", (0, 1)),
    (SH.maxExclusive, "MaxExclusiveConstraintComponent", (-1,)),
    (SH.maxInclusive, "MaxInclusiveConstraintComponent", (-1, 0)),
)

_Report = Callable[..., None]


def _generic(component: str) -> str:
    return f"Value does not conform to {component.removesuffix('ConstraintComponent')} constraint"


def _int(node: Node, shape: Shape) -> int:
    if (
        isinstance(node, Literal)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    raise UnsupportedShapeError(f"{shape.node}: {node!r} is not an integer")


def _iri(node: Node, shape: Shape) -> URIRef:
    if isinstance(node, URIRef):
        return node
    raise UnsupportedShapeError(f"{shape.node}: property pair parameter {node!r} is not an IRI")


def _string(term: Node) -> str:
    """pyshacl's value_node_to_string."""
    if isinstance(term, Literal):
        if term.value is not None and term.datatype in (None, _LANG_STRING, _XSD_STRING):
            return str(term.value)
        return str(term)
    return str(term)


def _datatype_matches(v: Node, rule: Node) -> bool:
    """pyshacl's DatatypeConstraintComponent.evaluate for one value."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == rule:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _actual_datatype(v, rule)
    if rule == _RDFS_LITERAL:
        return True
    if rule == _RDFS_DATATYPE and v.datatype:
        return True
    if v.datatype is None and v.language is None and rule == _XSD_STRING:
        return _actual_datatype(v, rule)
    if rule == _LANG_STRING and v.language:
        return _actual_datatype(v, rule)
    return False


_ACTUAL: dict[Node, type | tuple[type, ...]] = {
    _XSD_STRING: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _actual_datatype(v: Literal, rule: Node) -> bool:
    """pyshacl's _assert_actual_datatype: the Python value's type, for the types it knows."""
    kind = _ACTUAL.get(rule)
    return True if kind is None else isinstance(v.value, kind)


def _in_range(v: Node, bound: Node, accept: tuple[int, ...]) -> bool:
    """pyshacl's min/max Exclusive/Inclusive for one value (accept: allowed compare results)."""
    if not isinstance(v, Literal) or not isinstance(bound, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    v_is_string = isinstance(v.value, str)
    if bound_is_string != v_is_string:
        return False
    try:
        return _compare(v, bound) in accept
    except (TypeError, NotImplementedError):
        return False


def _less(value: Node, compare: Node, strict: bool) -> bool:
    """pyshacl's _compare_lt / _compare_lte for one pair."""
    if isinstance(value, BNode) or isinstance(compare, BNode):
        raise UnsupportedShapeError("sh:lessThan cannot compare a blank node (pyshacl fails too)")

    def plain(term: Node) -> tuple[object, bool]:
        if isinstance(term, URIRef):
            return str(term), True
        if isinstance(term, Literal) and isinstance(term.value, str):
            return term.value, True
        return term, False

    left, left_string = plain(value)
    right, right_string = plain(compare)
    if left_string != right_string:
        return False
    try:
        return bool(left < right) if strict else bool(left <= right)  # type: ignore[operator]
    except TypeError:
        return False
