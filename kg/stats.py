"""Counts that tell a maintainer what the live store holds, and the one count that must be zero.

Every contested claim in heritage-kg is a `hk:Statement` that must cite a source; a statement with
no `prov:wasDerivedFrom` citation naming a `hk:citedSource` breaks the project's promise, so
`kg stats` lists such statements and fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import HK, PREFIXES
from kg.store import GraphCount, graph_counts

__all__ = ["StoreStats", "collect_stats"]

_ENTITIES_PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?entity) AS ?n)
WHERE { ?entity a ?class . FILTER(STRSTARTS(STR(?class), STR(hk:))) }
GROUP BY ?class ORDER BY ?class
"""

_UNCITED_STATEMENTS = """
SELECT DISTINCT ?statement
WHERE {
  ?statement a hk:Statement .
  FILTER NOT EXISTS { ?statement prov:wasDerivedFrom ?citation . ?citation hk:citedSource ?source }
}
ORDER BY ?statement
"""


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What `kg stats` reports."""

    triples: int
    graphs: tuple[GraphCount, ...]
    entities_per_class: tuple[tuple[str, int], ...]
    uncited_statements: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every statement cites a source."""
        return not self.uncited_statements


def collect_stats(store: ox.Store) -> StoreStats:
    """Count triples, triples per graph, `hk:` entities per class, and uncited statements."""
    entities = tuple(
        (_curie(row["class"]), int(_literal(row["n"])))
        for row in _select(store, _ENTITIES_PER_CLASS)
    )
    uncited = tuple(_iri(row["statement"]) for row in _select(store, _UNCITED_STATEMENTS))
    return StoreStats(
        triples=len(store),
        graphs=graph_counts(store),
        entities_per_class=entities,
        uncited_statements=uncited,
    )


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """Run one of this module's SELECTs over the union of all graphs."""
    prologue = f"PREFIX hk: <{HK}>\nPREFIX prov: <{PREFIXES['prov']}>\n"
    result = store.query(prologue + query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _curie(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """`hk:Foo` for an IRI in the hk namespace (the only ones the class query returns)."""
    return "hk:" + _iri(term).removeprefix(HK)


def _iri(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """The IRI of a bound named node; blank-node statements are shown with their label."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    raise TypeError(f"expected an IRI, got {term!r}")


def _literal(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """The lexical form of a bound literal."""
    if not isinstance(term, ox.Literal):
        raise TypeError(f"expected a literal, got {term!r}")
    return term.value
