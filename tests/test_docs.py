"""The queries in docs/model.md are meant to be copied: each must run on the curated data and
answer something."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.namespaces import sparql_prologue
from kg.truthy import materialize_truthy

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "docs" / "model.md"
QUERIES = re.findall(r"```sparql\n(.*?)```", MODEL.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def curated() -> ox.Store:
    store = ox.Store()
    files = [*(ROOT / "ontology").rglob("*.ttl"), *(ROOT / "data" / "ttl").rglob("*.ttl")]
    for path in sorted(files):
        store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.as_uri()))
    materialize_truthy(store)
    return store


def test_the_guide_has_queries() -> None:
    assert len(QUERIES) >= 3


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.split("\n", 1)[0][:40])
def test_guide_query_answers(curated: ox.Store, query: str) -> None:
    result = curated.query(sparql_prologue() + query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    assert rows, f"this query from docs/model.md returns nothing on the curated data:\n{query}"
