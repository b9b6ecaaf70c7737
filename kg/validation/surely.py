"""SPARQL conditions under which a node-level shape surely holds (or surely fails) for ?this.

Node shapes such as "a deprecation reason exactly when the rank is deprecated" are `sh:or`s of
`sh:not`s and property shapes with `sh:hasValue` and `sh:minCount`/`sh:maxCount`; every
statement is a focus node, and checking each in Python cost seconds per million triples. For
such shapes a SPARQL condition can decide conformance *exactly* from the focus node's own
triples. `surely_conforms` compiles one where it can; the caller validates with the exact
evaluator only the focus nodes where the condition does not hold, so a condition that is merely
sufficient never changes a result.

Compiled, for a shape applied to ?this (anything else is "unknown" and contributes nothing):

- a property shape with an IRI path and `sh:hasValue` an IRI, `sh:minCount` 0 or 1, or
  `sh:maxCount` 0 — whether ?this has (that) value decides it, since a value exists exactly when
  a triple does, however rdflib would merge literals;
- `sh:not`, `sh:and`, `sh:or`, `sh:node`, `sh:property` of compiled shapes, each by a pass and
  a fail condition (`not` swaps them; `or` passes when one member surely passes and fails when
  all surely fail; a conjunction passes when all pass and fails when one fails);
- a deactivated shape always passes (pyshacl ignores it).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from rdflib import Literal, URIRef
from rdflib.collection import Collection

from kg.validation.model import Shape, Shapes

__all__ = ["surely_conforms"]

_LOGICAL = frozenset({"not", "and", "or", "node", "property"})
_TRUE = "true"

# (pass condition, fail condition): each a SPARQL expression, or None when not known.
_Conditions = tuple[str | None, str | None]


def surely_conforms(shapes: Shapes, shape: Shape) -> str | None:
    """A SPARQL expression on ?this that implies `shape` (node-level) conforms, or None."""
    if shape.path is not None or not shape.present & _LOGICAL:
        return None
    passes, _ = _Compiler(shapes).shape(shape, frozenset())
    return None if passes == _TRUE else passes


class _Compiler:
    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes
        self.names = count()

    def shape(self, shape: Shape, seen: frozenset[object]) -> _Conditions:
        if shape.deactivated:
            return _TRUE, None
        if shape.node in seen:
            return None, None  # recursive shapes: not compiled
        seen = seen | {shape.node}
        if shape.path is None:
            parts = [self.node_parameter(shape, name, seen) for name in shape.named]
        elif isinstance(shape.path, URIRef):
            parts = [self.property_parameter(shape, shape.path, name) for name in shape.named]
        else:
            return None, None
        return _all(parts)

    def node_parameter(self, shape: Shape, name: str, seen: frozenset[object]) -> _Conditions:
        values = shape.named[name]
        if name == "not":
            parts = []
            for inner in values:
                passes, fails = self.shape(self.shapes.get(inner), seen)
                parts.append((fails, passes))
            return _all(parts)
        if name in ("node", "property"):
            return _all([self.shape(self.shapes.get(inner), seen) for inner in values])
        if name in ("and", "or"):
            parts = []
            for head in values:
                listed = Collection(self.shapes.graph, head)
                members = [self.shape(self.shapes.get(m), seen) for m in listed]
                parts.append(_all(members) if name == "and" else _any(members))
            return _all(parts)
        return None, None

    def property_parameter(self, shape: Shape, path: URIRef, name: str) -> _Conditions:
        values = shape.named[name]
        if name == "hasValue":
            parts: list[_Conditions] = []
            for value in values:
                if not isinstance(value, URIRef):
                    return None, None
                has = f"EXISTS {{ ?this <{path}> <{value}> }}"
                parts.append((has, f"!{has}"))
            return _all(parts)
        if name in ("minCount", "maxCount"):
            parts = []
            for bound in values:
                if not isinstance(bound, Literal) or type(bound.value) is not int:
                    return None, None
                some = f"EXISTS {{ ?this <{path}> ?_v{next(self.names)} }}"
                if name == "minCount" and bound.value == 0:
                    parts.append((_TRUE, None))
                elif name == "minCount" and bound.value == 1:
                    parts.append((some, f"!{some}"))
                elif name == "maxCount" and bound.value == 0:
                    parts.append((f"!{some}", some))
                else:
                    return None, None
            return _all(parts)
        return None, None


def _all(parts: list[_Conditions]) -> _Conditions:
    """A conjunction: passes when every part passes, fails when any part fails."""
    passes = [p for p, _ in parts]
    fails = [f for _, f in parts if f is not None]
    passing = None if any(p is None for p in passes) else _join(passes, "&&")
    return passing, (_join(fails, "||") if fails else None)


def _any(parts: list[_Conditions]) -> _Conditions:
    """A disjunction: passes when any part passes, fails when every part fails."""
    passes = [p for p, _ in parts if p is not None]
    fails = [f for _, f in parts]
    failing = None if any(f is None for f in fails) or not fails else _join(fails, "&&")
    return (_join(passes, "||") if passes else None), failing


def _join(conditions: Sequence[str | None], op: str) -> str:
    known = [c for c in conditions if c is not None]
    if op == "&&":
        known = [c for c in known if c != _TRUE]
        if not known:
            return _TRUE
    elif _TRUE in known:
        return _TRUE
    return "(" + f" {op} ".join(f"({c})" for c in known) + ")" if len(known) > 1 else known[0]
