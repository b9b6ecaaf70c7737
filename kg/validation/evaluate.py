"""One validation pass over a store: SHACL Core by `CoreEvaluator`, SHACL-SPARQL by Oxigraph.

`only` limits the pass to some focus nodes (incremental re-validation, `kg.validation.cache`);
without it every targeted shape is evaluated for all its focus nodes, as pyshacl does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from kg.validation.batch import validate_targeted
from kg.validation.core import CoreEvaluator
from kg.validation.model import Shapes, read_shapes
from kg.validation.results import RawResult
from kg.validation.sparql import SparqlConstraints, split_sparql_constraints
from kg.validation.terms import OxTerm

__all__ = ["PreparedShapes", "evaluate", "prepare"]


@dataclass(frozen=True, slots=True)
class PreparedShapes:
    """A shapes graph read once: its SHACL Core model and its movable SHACL-SPARQL constraints."""

    shapes: Shapes
    constraints: SparqlConstraints


def prepare(shapes_graph: Graph) -> PreparedShapes:
    """Read a shapes graph for `evaluate` (half a second for ours: do it once per run)."""
    core_graph, constraints = split_sparql_constraints(shapes_graph)
    return PreparedShapes(read_shapes(core_graph), constraints)


def evaluate(
    store: ox.Store,
    shapes_graph: Graph | PreparedShapes,
    *,
    only: set[OxTerm] | None = None,
    sparql: bool = True,
) -> list[RawResult]:
    """All results (pyshacl's multiset) of the shapes over the union of the store's graphs."""
    prepared = shapes_graph if isinstance(shapes_graph, PreparedShapes) else prepare(shapes_graph)
    shapes, constraints = prepared.shapes, prepared.constraints
    evaluator = CoreEvaluator(store, shapes)
    results: list[RawResult] = []
    for shape in shapes.targeted:
        if only is not None:
            focus = sorted((n for n in only if evaluator.is_focus(shape, n)), key=str)
            results.extend(evaluator.validate(shape, focus))
        else:
            results.extend(validate_targeted(evaluator, shape, evaluator.focus_nodes(shape)))
    if sparql and constraints:

        def focus_of(node: Node) -> Sequence[OxTerm]:
            shape = shapes.get(node)
            if only is None:
                return evaluator.focus_nodes(shape)
            return [n for n in only if evaluator.is_focus(shape, n)]

        results.extend(constraints.run(store, focus_of))
    return results
