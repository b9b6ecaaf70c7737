"""Plain pyshacl, as the issue defines the reference semantics — the yardstick for tests.

`pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True)`
with every graph parsed by rdflib. The fast engine must produce the same set of results; the
tests and the benchmark call this to check and to measure.

The ontology graph is mixed in *fully*: the reference validates one rdflib graph holding the data
and the ontology. pyshacl 0.40's default handling of `ont_graph` only "inoculates" the data graph
with the ontology's RDFS/OWL axioms (class and property declarations, subClassOf…) and copies no
other triples, so the vocabularies' `skos:Concept` instances and `skos:inScheme` links never reach
the data graph and every concept reference fails `sh:class skos:Concept` (measured: 1,145 such
violations on the curated data). The project's shapes are written for the ontology and
vocabularies being part of the validated graph. pyshacl's own switch for that
(`PYSHACL_USE_FULL_MIXIN=1`) crashes in 0.40.1 (`'Dataset' object has no attribute
'is_multigraph'`), so the union is built here, before pyshacl sees it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.validation.engine import run_pyshacl
from kg.validation.results import RawResult

__all__ = ["ReferenceRun", "reference_validate"]


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    """What plain pyshacl said, the graphs it saw (to describe blank nodes) and how long it took."""

    conforms: bool
    results: list[RawResult]
    data: Graph
    shapes: Graph
    parse_seconds: float
    validate_seconds: float


def _parse(paths: Sequence[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def reference_validate(
    data_paths: Sequence[Path], shape_paths: Sequence[Path], ontology_paths: Sequence[Path]
) -> ReferenceRun:
    """Parse with rdflib; validate data + ontology as one graph with plain pyshacl."""
    started = time.perf_counter()
    union = _parse(list(dict.fromkeys([*data_paths, *ontology_paths])))
    shapes = _parse(shape_paths)
    parsed = time.perf_counter()
    conforms, results = run_pyshacl(union, shapes, inplace=False)
    done = time.perf_counter()
    return ReferenceRun(conforms, results, union, shapes, parsed - started, done - parsed)
