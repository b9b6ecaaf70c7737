"""Read SHACL validation results out of a pyshacl results graph, as comparable keys.

Both the fast engine and the plain-pyshacl reference go through here, so "identical results"
means one thing: the same set of (focus node, path, value, source shape, constraint component,
severity). Blank nodes differ between parses, so for comparison they are replaced by a canonical
description (`canonical`): the chain of triples that leads to them from a named node, plus a hash
of what they contain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import RDF, SH, BNode, Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["RawResult", "canonical", "read_results"]

_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


@dataclass(frozen=True, slots=True)
class RawResult:
    """One sh:ValidationResult as rdflib terms (path/value may be absent)."""

    focus: Node
    path: Node | None
    value: Node | None
    source_shape: Node
    component: Node
    severity: Node
    message: str


def read_results(results: Graph) -> Iterator[RawResult]:
    """The top-level results of a pyshacl report (those linked by `sh:result`).

    Results nested under `sh:detail` (why a value failed an `sh:node`) are explanations of their
    parent, not results of their own: reporting them again would blame the vocabulary file where
    the concept is defined instead of the data file that used the wrong concept.
    """
    for report in results.subjects(RDF.type, SH.ValidationReport):
        yield from _read(results, results.objects(report, SH.result))


def _read(results: Graph, nodes: Iterator[Node]) -> Iterator[RawResult]:
    for node in nodes:
        messages = sorted(str(m) for m in results.objects(node, SH.resultMessage))
        focus = results.value(node, SH.focusNode)
        shape = results.value(node, SH.sourceShape)
        component = results.value(node, SH.sourceConstraintComponent)
        severity = results.value(node, SH.resultSeverity)
        if focus is None or shape is None or component is None or severity is None:
            raise ValueError(f"incomplete validation result {node!r} from pyshacl")
        yield RawResult(
            focus=focus,
            path=results.value(node, SH.resultPath),
            value=results.value(node, SH.value),
            source_shape=shape,
            component=component,
            severity=severity,
            message=" / ".join(messages),
        )


def canonical(term: Node | None, *graphs: Graph) -> str:
    """A parse-independent text for a term: N3 for IRIs and literals, a description for bnodes.

    A blank node is described by how it hangs from a named node (predicate chain upwards) and a
    hash of its own triples (recursively), looked up in the first graph that mentions it.
    Literals compare as RDF 1.1 terms: a plain literal and an `xsd:string` one are the same,
    and language tags are case-blind.
    """
    if term is None:
        return "-"
    if isinstance(term, Literal):
        if term.language:
            return Literal(str(term), lang=term.language.lower()).n3()
        if term.datatype == _XSD_STRING:
            return Literal(str(term)).n3()
        return term.n3()
    if not isinstance(term, BNode):
        return term.n3()
    for graph in graphs:
        if (term, None, None) in graph or (None, None, term) in graph:
            return "_:" + _up(term, graph, set()) + "#" + _down(term, graph, set())
    return "_:?"


def _up(node: Node, graph: Graph, seen: set[Node]) -> str:
    if not isinstance(node, BNode):
        return node.n3()
    if node in seen:
        return "cycle"
    seen.add(node)
    parents = sorted(f"{_up(s, graph, seen)} {p.n3()}" for s, p in graph.subject_predicates(node))
    return "(" + " | ".join(parents) + ")" if parents else "top"


def _down(node: Node, graph: Graph, seen: set[Node]) -> str:
    if node in seen:
        return "cycle"
    seen = seen | {node}
    rows = sorted(
        f"{p.n3()} {_down(o, graph, seen) if isinstance(o, BNode) else canonical(o)}"
        for p, o in graph.predicate_objects(node)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
