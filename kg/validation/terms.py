"""Terms between Oxigraph and rdflib, with the files' literals kept exactly as written.

Oxigraph canonicalises typed literals when it stores them (measured on pyoxigraph 0.5.13:
`"1"^^xsd:boolean` → `true`, `"11.10"^^xsd:decimal` → `11.1`, `"5"^^xsd:positiveInteger` →
`"5"^^xsd:integer`, `"2020-01-01+00:00"^^xsd:date` → `2020-01-01Z`, `"P1Y12M"^^xsd:duration` →
`P2Y` …; ill-typed literals such as `"abc"^^xsd:integer` are kept). pyshacl judges the literal
rdflib builds from the *file's* lexical form, so `sh:datatype`, `sh:pattern`, `sh:in`,
`sh:hasValue`, `sh:minLength` … would answer differently on the store's canonical form.

So a literal whose datatype is in the XSD namespace (other than xsd:string) is stored *wrapped*:
`"lexical"^^<urn:kg:validation:lexical:DATATYPE>` — a datatype Oxigraph does not know, whose
lexical form it therefore keeps byte for byte. `to_rdflib` unwraps it and builds the literal the
way rdflib's own Turtle parser would (`kg.validation.sources`), so the engine sees pyshacl's terms.
Files that provably contain no literal Oxigraph would change are loaded natively (fast) and need
no wrapping at all (`kg.validation.union`).
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.validation.sources import bcp47_case

__all__ = ["WRAPPED", "XSD", "OxTerm", "store_literal", "to_ox", "to_rdflib", "unwrap"]

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
WRAPPED = "urn:kg:validation:lexical:"

# RDF-star triples never occur in Turtle 1.1 files, but the store's types include them.
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def store_literal(literal: ox.Literal) -> ox.Literal:
    """How a parsed literal is stored: wrapped when Oxigraph might rewrite it."""
    if literal.language:
        return literal
    datatype = literal.datatype.value
    if datatype == XSD_STRING or not datatype.startswith(XSD):
        return literal
    return ox.Literal(literal.value, datatype=ox.NamedNode(WRAPPED + datatype))


def unwrap(literal: ox.Literal) -> ox.Literal:
    """The literal as the file wrote it (inverse of `store_literal`)."""
    if literal.language:
        return literal
    datatype = literal.datatype.value
    if datatype.startswith(WRAPPED):
        return ox.Literal(literal.value, datatype=ox.NamedNode(datatype[len(WRAPPED) :]))
    return literal


_CACHE: dict[object, Node] = {}


def to_rdflib(term: object) -> Node:
    """The rdflib term pyshacl would see for a store term (cached: terms repeat a lot)."""
    found = _CACHE.get(term)
    if found is not None:
        return found
    node: Node
    if isinstance(term, ox.NamedNode):
        node = URIRef(term.value)
    elif isinstance(term, ox.BlankNode):
        node = BNode(term.value)
    elif isinstance(term, ox.Literal):
        if term.language:
            node = Literal(term.value, lang=bcp47_case(term.language))
        else:
            datatype = term.datatype.value
            if datatype.startswith(WRAPPED):
                datatype = datatype[len(WRAPPED) :]
            node = (
                Literal(term.value)
                if datatype == XSD_STRING
                else Literal(term.value, datatype=URIRef(datatype))
            )
    else:
        raise TypeError(f"unsupported RDF term {term!r}")
    if len(_CACHE) > 2_000_000:
        _CACHE.clear()
    _CACHE[term] = node
    return node


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A shapes-graph term as the store holds it (literals wrapped like the data's)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = str(term.datatype) if term.datatype is not None else XSD_STRING
        return store_literal(ox.Literal(str(term), datatype=ox.NamedNode(datatype)))
    raise TypeError(f"unsupported RDF term {term!r}")
