"""One validation pass over a store: SHACL Core by `CoreEvaluator`, SHACL-SPARQL by Oxigraph.

`restrict` limits the pass to some focus nodes (incremental re-validation, `kg.validation.cache`);
without it every targeted shape is evaluated for all its focus nodes, as pyshacl does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from kg.validation.batch import validate_targeted
from kg.validation.core import CoreEvaluator
from kg.validation.model import read_shapes
from kg.validation.results import RawResult
from kg.validation.sparql import split_sparql_constraints
from kg.validation.terms import OxTerm

__all__ = ["evaluate"]

Restrict = Callable[[Sequence[OxTerm]], Sequence[OxTerm]]


def evaluate(
    store: ox.Store,
    shapes_graph: Graph,
    *,
    restrict: Restrict | None = None,
    sparql: bool = True,
) -> list[RawResult]:
    """All results (pyshacl's multiset) of the shapes over the union of the store's graphs."""
    core_graph, constraints = split_sparql_constraints(shapes_graph)
    shapes = read_shapes(core_graph)
    evaluator = CoreEvaluator(store, shapes)
    results: list[RawResult] = []
    for shape in shapes.targeted:
        focus = evaluator.focus_nodes(shape)
        if restrict is not None:
            results.extend(evaluator.validate(shape, list(restrict(focus))))
        else:
            results.extend(validate_targeted(evaluator, shape, focus))
    if sparql and constraints:

        def focus_of(node: Node) -> Sequence[OxTerm]:
            focus = evaluator.focus_nodes(shapes.get(node))
            return focus if restrict is None else restrict(focus)

        results.extend(constraints.run(store, focus_of))
    return results
