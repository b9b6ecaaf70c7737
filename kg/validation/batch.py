"""Full runs: let Oxigraph find the few focus nodes that can fail, then check only those exactly.

Checking every focus node in Python costs microseconds per node and property shape — minutes at a
million triples. But almost all nodes conform, and for most components a SPARQL query over the
whole store can name a *superset* of the nodes that may fail (the candidates); the exact
evaluator (`kg.validation.core`) then validates just those. Exactness never rests on the query:
a node that is not a candidate provably has no result, and every reported result comes from the
exact evaluator. Per property shape of a targeted shape:

- value-level components (`sh:class`, `sh:datatype`, `sh:pattern`, `sh:node`, `sh:or`…: a value
  passes or fails whatever the focus node) are checked once per *distinct* value, and the focus
  nodes holding a failing value are candidates;
- `sh:minCount`, `sh:maxCount`, `sh:uniqueLang`, `sh:hasValue` (an IRI) are candidate queries
  (`minCount` counts only values rdflib cannot merge, so it over-approximates);
- a node shape's own `sh:or`/`sh:not`… of simple property shapes: a condition under which it
  surely holds (`kg.validation.surely`), the focus nodes where it does not are candidates;
- anything else (`sh:qualifiedValueShape`, property pairs, sh:closed, targets the query cannot
  express) makes every focus node a candidate, i.e. plain exact evaluation.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pyoxigraph as ox
from rdflib import RDF, RDFS, SH, Literal, URIRef
from rdflib.term import Node

from kg.validation.core import CoreEvaluator
from kg.validation.model import Path, Shape
from kg.validation.results import RawResult
from kg.validation.surely import surely_conforms
from kg.validation.terms import WRAPPED, XSD, OxTerm

__all__ = ["validate_targeted"]

_VALUE_LEVEL = frozenset(
    {
        "class", "datatype", "nodeKind", "minExclusive", "minInclusive", "maxExclusive",
        "maxInclusive", "minLength", "maxLength", "pattern", "flags", "languageIn", "not",
        "and", "or", "xone", "node", "property", "closed", "ignoredProperties", "in",
    }
)  # fmt: skip
_QUERIED = frozenset(
    {"minCount", "maxCount", "uniqueLang", "hasValue", "lessThan", "lessThanOrEquals"}
)
# Where SPARQL's comparison agrees with pyshacl's Python one; anything else is a candidate.
_COMPARABLE = ", ".join(f"<{XSD}{name}>" for name in ("date", "string", "integer"))


def validate_targeted(ev: CoreEvaluator, shape: Shape, focus: list[OxTerm]) -> list[RawResult]:
    """All results of a targeted shape for `focus` (its focus nodes), as `ev.validate` gives."""
    if shape.deactivated or not focus:
        return []
    where = _focus_pattern(shape)
    if where is None or "closed" in shape.present:  # sh:closed reads the sh:property paths
        return ev.validate(shape, focus)
    if shape.path is not None:
        return _property(ev, shape, where, focus)
    own = {k: v for k, v in shape.params.items() if k != SH.property}
    results: list[RawResult] = []
    if own:
        own_shape = replace(shape, params=own)
        candidates = _prefiltered(ev, own_shape, focus)
        holds = surely_conforms(ev.shapes, own_shape)
        if holds is not None:
            may_fail = _select(ev, f"SELECT ?this WHERE {{ {where} FILTER (!({holds})) }}")
            candidates = [f for f in candidates if f in may_fail]
        results = ev.validate(own_shape, candidates)
    for node in shape.params.get(SH.property, ()):
        results.extend(_property(ev, ev.shapes.get(node), where, focus))
    return results


def _property(ev: CoreEvaluator, prop: Shape, where: str, focus: list[OxTerm]) -> list[RawResult]:
    if prop.deactivated:
        return []
    path = None if prop.path is None else _sparql_path(prop.path)
    qualified = _qualified_language_filter(ev, prop)
    handled = _QUERIED | ({"qualifiedValueShape", "qualifiedMinCount"} if qualified else set())
    unknown = prop.present - _VALUE_LEVEL - handled
    if path is None or unknown:
        return ev.validate(prop, focus)
    # Queries other than minCount's run over all subjects of the path (cheaper than joining the
    # focus pattern each time); their answers are cut down to the focus nodes below.
    candidates: set[OxTerm] = set()
    value_params = {k: v for k, v in prop.params.items() if str(k)[len(str(SH)) :] in _VALUE_LEVEL}
    if value_params:
        candidates |= _failing_values_holders(ev, replace(prop, params=value_params), path)
    if "minCount" in prop.present:
        for bound in prop.params[SH.minCount]:
            candidates |= _select(ev, _min_count_query(where, path, bound))
    if "maxCount" in prop.present:
        for bound in prop.params[SH.maxCount]:
            candidates |= _select(
                ev,
                f"SELECT ?this WHERE {{ ?this {path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {_bound(bound)})",
            )
    if "uniqueLang" in prop.present:
        candidates |= _select(
            ev,
            f"SELECT DISTINCT ?this WHERE {{ ?this {path} ?a , ?b . "
            'FILTER (?a != ?b && LANG(?a) != "" && LCASE(LANG(?a)) = LCASE(LANG(?b))) }',
        )
    for expected in prop.params.get(SH.hasValue, ()):
        if not isinstance(expected, URIRef):
            return ev.validate(prop, focus)
        having = _select(ev, f"SELECT DISTINCT ?this WHERE {{ ?this {path} <{expected}> }}")
        candidates |= {f for f in focus if f not in having}
    for parameter, op in ((SH.lessThan, "<"), (SH.lessThanOrEquals, "<=")):
        for other in prop.params.get(parameter, ()):
            if not isinstance(other, URIRef):
                return ev.validate(prop, focus)
            candidates |= _select(
                ev,
                f"SELECT DISTINCT ?this WHERE {{ ?this {path} ?a0 . ?this <{other}> ?b0 . "
                f"{_as_stored('?a0', '?a')} {_as_stored('?b0', '?b')} "
                f"FILTER (!(isLiteral(?a) && isLiteral(?b) && DATATYPE(?a) = DATATYPE(?b) "
                f"&& DATATYPE(?a) IN ({_COMPARABLE}) && COALESCE(?a {op} ?b, false))) }}",
            )
    if qualified:
        candidates |= _select(
            ev,
            f"SELECT ?this WHERE {{ {where} FILTER NOT EXISTS {{ ?this {path} ?v "
            f"FILTER (isLiteral(?v) && {qualified}) }} }}",
        )
    allowed = set(focus)
    return ev.validate(prop, sorted((c for c in candidates if c in allowed), key=str))


_IRI_KINDS: dict[Node, type] = {SH.IRI: ox.NamedNode, SH.BlankNode: ox.BlankNode}


def _prefiltered(ev: CoreEvaluator, shape: Shape, focus: list[OxTerm]) -> list[OxTerm]:
    """For node-level `sh:pattern`/`sh:nodeKind` on IRIs and blank nodes (most shapes): the
    focus nodes that can fail, by a tight loop instead of the evaluator's per-node dispatch."""
    if not shape.present <= {"pattern", "flags", "nodeKind"} or "flags" in shape.present:
        return focus
    kinds = [_IRI_KINDS.get(k) for k in shape.named.get("nodeKind", ())]
    if any(k is None for k in kinds):
        return focus
    patterns = [re.compile(str(p)) for p in shape.named.get("pattern", ())]
    out = []
    for node in focus:
        kind_ok = isinstance(node, (ox.NamedNode, ox.BlankNode)) and all(
            isinstance(node, k) for k in kinds if k is not None
        )
        pattern_ok = not patterns or (
            isinstance(node, ox.NamedNode) and all(p.search(node.value) for p in patterns)
        )
        if not (kind_ok and pattern_ok):
            out.append(node)
    return out


_DATE = "^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"  # a valid date in any month
_SURE_DATATYPE: dict[Node, str] = {
    URIRef(f"{XSD}string"): f'(isLiteral(?v) && DATATYPE(?v) = <{XSD}string> && LANG(?v) = "")',
    RDF.langString: '(isLiteral(?v) && LANG(?v) != "")',
    URIRef(
        f"{XSD}date"
    ): f'(isLiteral(?v) && DATATYPE(?v) = <{XSD}date> && REGEX(STR(?v), "{_DATE}"))',
}
_SURE_KIND: dict[Node, str] = {
    SH.IRI: "isIRI(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}


def _surely_passes(shape: Shape) -> str | None:
    """A SPARQL condition on ?v under which every value-level component surely passes, when each
    has one (sh:class, sh:nodeKind, sh:datatype string/langString/date); else None.

    Only what pyshacl provably accepts: a plain string for xsd:string, any language-tagged
    literal for rdf:langString, a natively stored xsd:date whose day exists in every month (a
    wrapped or unusual date goes to the exact check), an instance by rdf:type/rdfs:subClassOf*.
    """
    parts: list[str] = []
    for name, values in shape.named.items():
        for value in values:
            if name == "class" and isinstance(value, URIRef):
                member = f"?v <{RDF.type}>/<{RDFS.subClassOf}>* <{value}>"
                parts.append(f"(!isLiteral(?v) && EXISTS {{ {member} }})")
            elif name == "datatype" and value in _SURE_DATATYPE:
                parts.append(_SURE_DATATYPE[value])
            elif name == "nodeKind" and value in _SURE_KIND:
                parts.append(_SURE_KIND[value])
            else:
                return None
    return " && ".join(parts) if parts else None


def _failing_values_holders(ev: CoreEvaluator, value_shape: Shape, path: str) -> set[OxTerm]:
    """Focus nodes with a value failing the value-level components (each value checked once)."""
    node_shape = replace(value_shape, path=None, path_node=None)
    sure = _surely_passes(value_shape)
    unsure = "" if sure is None else f" FILTER (!({sure}))"
    values = _select(ev, f"SELECT DISTINCT ?v WHERE {{ ?this {path} ?v{unsure} }}")
    bad = [v for v in values if ev.validate(node_shape, [v], first_only=True)]
    if not bad:
        return set()
    named = [v for v in bad if not isinstance(v, ox.BlankNode)]
    holders: set[OxTerm] = set()
    if named:
        for start in range(0, len(named), 500):
            chunk = " ".join(str(v) for v in named[start : start + 500])
            holders |= _select(
                ev,
                f"SELECT DISTINCT ?this WHERE {{ VALUES ?v {{ {chunk} }} ?this {path} ?v }}",
            )
    blanks = [v for v in bad if isinstance(v, ox.BlankNode)]
    for blank in blanks:
        solutions = ev.store.query(
            f"SELECT DISTINCT ?this ?v WHERE {{ ?this {path} ?v }}",
            substitutions={ox.Variable("v"): blank},
            use_default_graph_as_union=True,
        )
        assert isinstance(solutions, ox.QuerySolutions)
        holders.update(row[0] for row in solutions)
    return holders


def _qualified_language_filter(ev: CoreEvaluator, prop: Shape) -> str | None:
    """A SPARQL filter for `sh:qualifiedValueShape [ sh:languageIn (…) ]` with
    `sh:qualifiedMinCount 1` (how labels in English are required), else None."""
    if "qualifiedMaxCount" in prop.present or "qualifiedValueShapesDisjoint" in prop.present:
        return None
    inner = prop.params.get(SH.qualifiedValueShape, [])
    bound = prop.params.get(SH.qualifiedMinCount, [])
    if len(inner) != 1 or len(bound) != 1 or _bound(bound[0]) != 1:
        return None
    shape = ev.shapes.get(inner[0])
    if shape.present != {"languageIn"} or shape.path is not None or shape.deactivated:
        return None
    wanted = {str(x).lower() for x in shape.lists.get(SH.languageIn, [])}
    if "*" in wanted:
        return 'LANG(?v) != ""'
    if not wanted or any('"' in w or "\\" in w for w in wanted):
        return None
    listed = ", ".join(f'"{w}"' for w in sorted(wanted))
    # pyshacl: the whole tag or its first subtag, lower-cased, is in the list.
    return (
        f'LANG(?v) != "" && (LCASE(LANG(?v)) IN ({listed}) '
        f'|| LCASE(STRBEFORE(LANG(?v), "-")) IN ({listed}))'
    )


_DAY = "^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"  # as natively loaded dates


def _as_stored(raw: str, out: str) -> str:
    """BIND `out` to `raw`, with a wrapped date in the form natively loaded dates have (without a
    time zone) turned into that native date, so SPARQL compares it as it compares those (files
    with bare decimals store their dates wrapped); anything else is left alone."""
    wrapped = f"<{WRAPPED}{XSD}date>"
    return (
        f"BIND (COALESCE(IF(isLiteral({raw}) && DATATYPE({raw}) = {wrapped} "
        f'&& REGEX(STR({raw}), "{_DAY}"), STRDT(STR({raw}), <{XSD}date>), {raw}), {raw}) AS {out})'
    )


def _bound(bound: Node) -> int:
    if not isinstance(bound, Literal) or not isinstance(bound.value, int):
        raise ValueError(f"sh:minCount/maxCount {bound!r} is not an integer")
    return int(bound.value)


# Values rdflib could merge with another (typed XSD literals: "01" and "1") are not counted, so
# the count is never above rdflib's and every node below the bound is found.
_MERGE_SAFE = (
    f'(!isLiteral(?v) || LANG(?v) != "" || DATATYPE(?v) = <{XSD}string>'
    f' || !STRSTARTS(STR(DATATYPE(?v)), "{XSD}") && !STRSTARTS(STR(DATATYPE(?v)), "urn:kg:"))'
)


def _min_count_query(where: str, path: str, bound: Node) -> str:
    if _bound(bound) == 1:  # one triple is one value, however rdflib merges: exact
        return f"SELECT ?this WHERE {{ {where} FILTER NOT EXISTS {{ ?this {path} ?v }} }}"
    return (
        f"SELECT ?this WHERE {{ {where} OPTIONAL {{ ?this {path} ?v FILTER {_MERGE_SAFE} }} }} "
        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {_bound(bound)})"
    )


def _select(ev: CoreEvaluator, query: str) -> set[OxTerm]:
    solutions = ev.store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return {row[0] for row in solutions}


def _focus_pattern(shape: Shape) -> str | None:
    """A SPARQL group binding ?this to the shape's focus nodes (None if not expressible)."""
    parts: list[str] = []
    for node in shape.target_nodes:
        if not isinstance(node, URIRef):
            return None
        parts.append(f"{{ VALUES ?this {{ <{node}> }} }}")
    for cls in shape.target_classes:
        if not isinstance(cls, URIRef):
            return None
        parts.append(f"{{ ?this <{RDF.type}>/<{RDFS.subClassOf}>* <{cls}> }}")
    for predicate in shape.target_subjects_of:
        if not isinstance(predicate, URIRef):
            return None
        parts.append(f"{{ ?this <{predicate}> [] }}")
    for predicate in shape.target_objects_of:
        if not isinstance(predicate, URIRef):
            return None
        parts.append(f"{{ [] <{predicate}> ?this }}")
    if not parts:
        return None
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _sparql_path(path: Path) -> str | None:
    if isinstance(path, URIRef):
        return f"<{path}>"
    kind, inner = path
    if kind in ("seq", "alt"):
        assert isinstance(inner, list)
        parts = [_sparql_path(p) for p in inner]
        if any(p is None for p in parts) or not parts:
            return None
        return "(" + ("/" if kind == "seq" else "|").join(p for p in parts if p) + ")"
    step = _sparql_path(inner)  # type: ignore[arg-type]
    if step is None:
        return None
    return f"^{step}" if kind == "inv" else f"({step}){kind}"
