"""Node shapes decided by a SPARQL condition: pyshacl's results, and the condition is used."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rdflib import SH, Graph, URIRef
from rdflib.term import Node
from test_validation_engine import _same_as_pyshacl

from kg.validation.model import read_shapes
from kg.validation.surely import surely_conforms

SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .

ex:ExactlyWhenDeprecated a sh:NodeShape ; sh:targetClass ex:Statement ;
    sh:or (
        [ sh:property [ sh:path ex:rank ; sh:hasValue ex:deprecated ] ;
          sh:property [ sh:path ex:reason ; sh:minCount 1 ] ]
        [ sh:not [ sh:path ex:rank ; sh:hasValue ex:deprecated ] ;
          sh:property [ sh:path ex:reason ; sh:maxCount 0 ] ]
    ) .

ex:ConditionObject a sh:NodeShape ; sh:targetClass ex:Statement ;
    sh:or (
        [ sh:not [ sh:path ex:predicate ; sh:hasValue ex:condition ] ]
        [ sh:path ex:object ; sh:class ex:Concept ]
    ) .

ex:NotBoth a sh:NodeShape ; sh:targetSubjectsOf ex:rank ;
    sh:not [ sh:and (
        [ sh:path ex:rank ; sh:minCount 1 ]
        [ sh:path ex:reason ; sh:hasValue ex:why ]
    ) ] .

ex:TwoReasons a sh:NodeShape ; sh:targetClass ex:Statement ;
    sh:not [ sh:path ex:reason ; sh:maxCount 1 ] .

ex:WithDeactivated a sh:NodeShape ; sh:targetClass ex:Statement ;
    sh:or ( [ sh:path ex:never ; sh:minCount 1 ; sh:deactivated true ] ) .

ex:NodeReference a sh:NodeShape ; sh:targetClass ex:Statement ;
    sh:node ex:HasRank .
ex:HasRank a sh:NodeShape ; sh:property [ sh:path ex:rank ; sh:minCount 1 ] .
"""


def _data() -> str:
    lines = ["@prefix ex: <http://example.org/> ."]
    ranks = [
        "",
        "ex:rank ex:deprecated ;",
        "ex:rank ex:normal ;",
        "ex:rank ex:normal, ex:deprecated ;",
    ]
    reasons = ["", 'ex:reason "because"@en ;', "ex:reason ex:why ;", 'ex:reason "a", "b" ;']
    predicates = [
        "",
        "ex:predicate ex:condition ; ex:object ex:c1 ;",
        "ex:predicate ex:condition ; ex:object ex:thing ;",
        "ex:predicate ex:other ;",
    ]
    n = 0
    for rank in ranks:
        for reason in reasons:
            for predicate in predicates:
                n += 1
                lines.append(f"ex:s{n} a ex:Statement ; {rank} {reason} {predicate} ex:n {n} .")
    lines.append("ex:c1 a ex:Concept .")
    lines.append("_:b a ex:Statement ; ex:rank ex:deprecated .")
    return "\n".join(lines) + "\n"


def _own(params: dict[URIRef, list[Node]]) -> dict[URIRef, list[Node]]:
    return {k: v for k, v in params.items() if k != SH.property}


def test_conditions_compile_for_the_logical_shapes() -> None:
    graph = Graph().parse(data=SHAPES, format="turtle")
    shapes = read_shapes(graph)
    compiled = {
        str(shape.node).rsplit("/", 1)[-1]: surely_conforms(
            shapes, replace(shape, params=_own(shape.params))
        )
        for shape in shapes.targeted
    }
    assert all(compiled[name] for name in ("ExactlyWhenDeprecated", "ConditionObject", "NotBoth"))
    assert "ex:Concept" not in str(compiled["ConditionObject"])  # sh:class is left to Python
    assert compiled["TwoReasons"] is None  # maxCount 1 is left to Python
    assert compiled["WithDeactivated"] is None  # always holds: nothing to filter by
    assert str(URIRef("http://example.org/rank")) in str(compiled["NodeReference"])


def test_node_shapes_decided_by_sparql_give_pyshacls_results(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text(_data(), encoding="utf-8")
    assert _same_as_pyshacl([data], [shapes], []) >= 40
