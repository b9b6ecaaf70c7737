"""Evaluate SHACL-SPARQL constraints (`sh:sparql`) inside Oxigraph instead of rdflib.

pyshacl runs each `sh:select` once per focus node through rdflib's SPARQL engine, which is the
slow part of validation (see /work/shared/notes/pyoxigraph-and-peers.md). Here each constraint
runs once, in Oxigraph, for all its focus nodes: the focus nodes are injected as
`VALUES ?this { … }` at the start of the query's outer group, which for the queries we accept is
the same as SHACL's pre-binding of `$this`. The results are built exactly as pyshacl builds them
(focus, path, value, severity, messages), and the constraint is removed from the shapes graph
given to pyshacl, so nothing is reported twice.

Only what can be moved without changing the answer is moved; everything else stays with pyshacl:
node shapes with their own targets that no other shape references (a shape reached through
`sh:node`, `sh:property`, `sh:or`… is evaluated inside another constraint), whose query projects
`$this` (or `*`), has no sub-query, aggregate, MINUS, VALUES, SERVICE, no `$currentShape` /
`$shapesGraph`. Blank focus nodes cannot be written in VALUES; they are bound one at a time
with Oxigraph's `substitutions=` instead (rare: our blank nodes are citations and time spans).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, SH, BNode, Graph, Literal
from rdflib.term import Node

from kg.validation.results import RawResult
from kg.validation.terms import OxTerm, to_rdflib

__all__ = ["SparqlConstraints", "split_sparql_constraints"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_REFERENCING = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"], RDF.first)
_UNSUPPORTED = re.compile(
    r"\b(?:MINUS|VALUES|SERVICE|GROUP\s+BY|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT"
    r"|BNODE)\b|\$currentShape|\?currentShape|\$shapesGraph|\?shapesGraph|\$PATH",
    re.IGNORECASE,
)
_SELECT = re.compile(r"\bSELECT\b", re.IGNORECASE)
_PROJECTS_THIS = re.compile(
    r"^\s*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:\*|[^{]*?[?$]this\b)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Constraint:
    shape: Node
    node: Node
    query: str
    severity: Node
    shape_messages: tuple[Literal, ...]
    messages: tuple[Literal, ...]
    deactivated: bool
    targets: tuple[tuple[Node, ...], tuple[Node, ...], tuple[Node, ...], tuple[Node, ...]]


@dataclass(slots=True)
class SparqlConstraints:
    """The SHACL-SPARQL constraints taken out of the shapes graph, ready to run in Oxigraph."""

    constraints: list[_Constraint] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.constraints)

    def run(
        self, store: ox.Store, focus_nodes: Callable[[Node], Sequence[OxTerm]]
    ) -> list[RawResult]:
        """Run every constraint over the union of `store`'s graphs, for each shape's focus nodes."""
        results: list[RawResult] = []
        for constraint in self.constraints:
            if not constraint.deactivated:
                results.extend(_run(constraint, list(focus_nodes(constraint.shape)), store))
        return results


def split_sparql_constraints(shapes: Graph) -> tuple[Graph, SparqlConstraints]:
    """The shapes graph without the movable sh:sparql constraints, and those constraints."""
    moved = SparqlConstraints()
    removed: list[tuple[Node, Node, Node]] = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        found = _movable(shapes, shape, constraint)
        if found is not None:
            moved.constraints.append(found)
            removed.append((shape, SH.sparql, constraint))
    if not removed:
        return shapes, moved
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace, override=True, replace=True)
    for triple in shapes:
        core.add(triple)
    for triple in removed:
        core.remove(triple)
    return core, moved


def _movable(shapes: Graph, shape: Node, constraint: Node) -> _Constraint | None:
    if shapes.value(shape, SH.path) is not None or shapes.value(shape, SH.target) is not None:
        return None
    if any((None, p, shape) in shapes for p in _REFERENCING):
        return None
    if any(
        d == Literal(True) for d in shapes.objects(shape, SH.deactivated)
    ):  # pyshacl skips the whole shape; keep that with pyshacl
        return None
    selects = list(shapes.objects(constraint, SH.select))
    if len(selects) != 1 or not isinstance(selects[0], Literal):
        return None  # pyshacl reports the malformed constraint itself
    text = str(selects[0])
    if _UNSUPPORTED.search(text) or len(_SELECT.findall(text)) != 1:
        return None
    body = _strip_prologue(text)
    if body is None or not _PROJECTS_THIS.match(body):
        return None
    deactivated = [d for d in shapes.objects(constraint, SH.deactivated)]
    implicit = _implicit_class(shapes, shape)
    targets = (
        tuple(shapes.objects(shape, SH.targetNode)),
        tuple(shapes.objects(shape, SH.targetClass)) + implicit,
        tuple(shapes.objects(shape, SH.targetSubjectsOf)),
        tuple(shapes.objects(shape, SH.targetObjectsOf)),
    )
    return _Constraint(
        shape=shape,
        node=constraint,
        query=_prefixes(shapes, constraint) + text,
        severity=shapes.value(shape, SH.severity) or SH.Violation,
        shape_messages=tuple(
            m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)
        ),
        messages=tuple(m for m in shapes.objects(constraint, SH.message) if isinstance(m, Literal)),
        deactivated=bool(deactivated) and bool(deactivated[0] == Literal(True)),
        targets=targets,
    )


def _literals(nodes: Iterable[Node]) -> tuple[Literal, ...]:
    return tuple(m for m in nodes if isinstance(m, Literal))


def _implicit_class(shapes: Graph, shape: Node) -> tuple[Node, ...]:
    classes = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    return (shape,) if any(t in classes for t in shapes.objects(shape, RDF.type)) else ()


def _prefixes(shapes: Graph, constraint: Node) -> str:
    """PREFIX lines from sh:prefixes/sh:declare, following pyshacl's collect_prefixes."""
    values = set(shapes.objects(constraint, SH.prefixes))
    if not values:
        return ""
    ontologies = set(shapes.subjects(RDF.type, OWL.Ontology))
    global_declares = {d for o in ontologies for d in shapes.objects(o, SH.declare)}
    declared: dict[str, str] = {}
    for value in values:
        own = set(shapes.objects(value, SH.declare))
        for declare in own if own and value in ontologies else global_declares | own:
            prefix = shapes.value(declare, SH.prefix)
            namespace = shapes.value(declare, SH.namespace)
            if prefix is not None and namespace is not None:
                declared[str(prefix)] = str(namespace)
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in declared.items())


def _strip_prologue(text: str) -> str | None:
    match = _SELECT.search(text)
    return None if match is None else text[match.start() :]


def _with_values(query: str, focus: Sequence[ox.NamedNode]) -> str:
    """Insert `VALUES ?this { … }` right after the `{` that opens the outer WHERE group."""
    select = _SELECT.search(query)
    assert select is not None
    opening = _first_brace(query, select.end())
    values = " ".join(str(n) for n in focus)
    return f"{query[: opening + 1]} VALUES ?this {{ {values} }} {query[opening + 1 :]}"


def _first_brace(text: str, start: int) -> int:
    i = start
    while i < len(text):
        char = text[i]
        if char == "<":
            i = text.index(">", i)
        elif char in "\"'":
            i = text.index(char, i + 1)
        elif char == "#":
            i = text.find("\n", i)
            if i < 0:
                break
        elif char == "{":
            return i
        i += 1
    raise ValueError("SPARQL constraint without a WHERE group")


def _run(constraint: _Constraint, focus: list[OxTerm], store: ox.Store) -> Iterator[RawResult]:
    named = sorted((n for n in focus if isinstance(n, ox.NamedNode)), key=str)
    if named:
        yield from _results(constraint, _select(store, _with_values(constraint.query, named)))
    for other in (n for n in focus if not isinstance(n, ox.NamedNode)):
        this: _Bindings = {ox.Variable("this"): other}
        yield from _results(constraint, _select(store, constraint.query, this))


_Bindings = dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


def _select(
    store: ox.Store, query: str, substitutions: _Bindings | None = None
) -> ox.QuerySolutions:
    solutions = store.query(query, substitutions=substitutions, use_default_graph_as_union=True)
    if not isinstance(solutions, ox.QuerySolutions):
        raise TypeError("a SHACL-SPARQL constraint must be a SELECT query")
    return solutions


def _results(constraint: _Constraint, solutions: ox.QuerySolutions) -> Iterator[RawResult]:
    """pyshacl's _validate_sparql_query + make_v_result for the rows of one query."""
    names = [v.value for v in solutions.variables]
    seen: set[tuple[tuple[str, Node], ...]] = set()
    for solution in solutions:
        bound = {name: to_rdflib(term) for name in names if (term := solution[name]) is not None}
        if "failure" in bound:
            raise RuntimeError(f"SPARQL constraint {constraint.node} reported a failure")
        this = bound.pop("this")
        path = bound.pop("path", None)
        value = bound.pop("value", None)
        key = (("this", this), ("path", path or BNode("-")), ("value", value or BNode("-")))
        row = key + tuple(sorted(bound.items()))
        if row in seen:
            continue
        seen.add(row)
        if value is None:
            value = this  # a node shape reports its focus node as the value
        variables = {"this": this, **({"path": path} if path is not None else {}), "value": value}
        variables.update(bound)
        yield RawResult(
            focus=this,
            path=path,
            value=value,
            source_shape=constraint.shape,
            component=SH.SPARQLConstraintComponent,
            severity=constraint.severity,
            message=" / ".join(sorted(_messages(constraint, variables))),
        )


def _messages(constraint: _Constraint, variables: dict[str, Node]) -> list[str]:
    """pyshacl's make_v_result: constraint messages, then the shape's, all formatted."""
    shape_messages = list(constraint.shape_messages)
    chosen = [m for m in constraint.messages if m not in shape_messages] + shape_messages
    out: list[str] = []
    for message in chosen:
        text = str(message)
        for name, term in variables.items():
            text = re.sub(f"{{[?$]{name}}}", _replacement(str(term)), text)
        out.append(text)
    return out


def _replacement(text: str) -> Callable[[re.Match[str]], str]:
    """A literal replacement for re.sub (pyshacl passes str(term) as a pattern; we do not)."""

    def replace(_match: re.Match[str]) -> str:
        return text

    return replace
