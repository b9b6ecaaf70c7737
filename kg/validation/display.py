"""Short, readable text for RDF terms and SHACL paths in validation output.

Maintainers read `site:shusha-fortress` and `hk:siteType`, not full IRIs, so every IRI under a
namespace of the canonical prefix table (kg.namespaces.PREFIXES) is shown in prefixed form.
"""

from __future__ import annotations

from rdflib import RDF, SH, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import PREFIXES

__all__ = ["path_text", "shape_text", "term_text"]

# Longest namespace first, so hkv:… never wins over sitetype:… for a concept IRI.
_BY_LENGTH = sorted(((iri, p) for p, iri in PREFIXES.items()), key=lambda x: -len(x[0]))


def term_text(term: Node) -> str:
    """An IRI as prefix:local when a canonical prefix covers it, a literal in Turtle form."""
    if isinstance(term, URIRef):
        value = str(term)
        for iri, prefix in _BY_LENGTH:
            local = value[len(iri) :]
            if value.startswith(iri) and _plain_local(local):
                return f"{prefix}:{local}"
        return f"<{value}>"
    if isinstance(term, Literal):
        lexical = Literal(str(term)).n3()
        if term.language:
            return f"{lexical}@{term.language}"
        if term.datatype is not None:
            return f"{lexical}^^{term_text(term.datatype)}"
        return lexical
    if isinstance(term, BNode):
        return "[]"
    return str(term)


def _plain_local(local: str) -> bool:
    return all(c.isalnum() or c in "-_" for c in local) and not local.startswith("-")


def path_text(path: Node, graph: Graph) -> str:
    """A SHACL property path in SPARQL path syntax (`^p`, `p/q`, `p|q`, `p*`, `p+`, `p?`)."""
    if not isinstance(path, BNode):
        return term_text(path)
    items = _list(path, graph)
    if items is not None:
        return "/".join(path_text(p, graph) for p in items)
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_grouped(inner, graph))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(p, graph) for p in _list(alternatives, graph) or []) + ")"
    return "[]"


def _grouped(path: Node, graph: Graph) -> str:
    text = path_text(path, graph)
    return f"({text})" if "/" in text or ("|" in text and not text.startswith("(")) else text


def _list(node: Node, graph: Graph) -> list[Node] | None:
    if graph.value(node, RDF.first) is None:
        return None
    items: list[Node] = []
    seen: set[Node] = set()
    while node != RDF.nil and node not in seen:
        seen.add(node)
        first = graph.value(node, RDF.first)
        if first is None:
            return None
        items.append(first)
        rest = graph.value(node, RDF.rest)
        if rest is None:
            return None
        node = rest
    return items


def shape_text(shape: Node, graph: Graph) -> str:
    """A shape's name; a blank property shape as `Parent[path]`, so SARIF rules stay readable."""
    if not isinstance(shape, BNode):
        return term_text(shape)
    path = graph.value(shape, SH.path)
    inner = "" if path is None else path_text(path, graph)
    parent = graph.value(None, SH.property, shape)
    if parent is not None:
        return f"{shape_text(parent, graph)}[{inner}]"
    return f"[{inner}]"
