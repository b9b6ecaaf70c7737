"""The result cache: keys, ETags, the byte bound and LRU order, If-None-Match."""

from __future__ import annotations

import pytest

from kg.web.cache import (
    CachedAnswer,
    CacheKey,
    ResultCache,
    etag_matches,
    is_deterministic,
    normalise_query,
)


def _key(query: str = "SELECT * WHERE { ?s ?p ?o }", version: str = "v1", **kw: object) -> CacheKey:
    fields: dict[str, object] = {
        "store_version": version,
        "query": query,
        "solutions_format": "application/sparql-results+json",
        "graph_format": "text/turtle",
        "default_graphs": None,
        "named_graphs": None,
    }
    fields.update(kw)
    return CacheKey(**fields)  # type: ignore[arg-type]


def test_etag_is_stable_and_changes_with_every_part_of_the_key() -> None:
    etag = _key().etag()
    assert etag == _key().etag()
    assert etag.startswith('"') and etag.endswith('"')
    others = [
        _key(version="v2"),
        _key(query="SELECT ?s WHERE { ?s ?p ?o }"),
        _key(solutions_format="text/csv"),
        _key(graph_format="application/n-triples"),
        _key(default_graphs=("http://example.org/g",), named_graphs=()),
    ]
    assert len({etag, *(k.etag() for k in others)}) == 1 + len(others)


def test_normalisation_keeps_meaning() -> None:
    assert normalise_query("  SELECT *\r\nWHERE { ?s ?p ?o }  \n") == (
        "SELECT *\nWHERE { ?s ?p ?o }"
    )
    # blanks inside a literal are part of the query
    assert normalise_query("ASK { ?s ?p 'a  b' }") != normalise_query("ASK { ?s ?p 'a b' }")


@pytest.mark.parametrize(
    ("query", "deterministic"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", True),
        ("SELECT (NOW() AS ?t) WHERE {}", False),
        ("SELECT (rand () AS ?r) WHERE {}", False),
        ("SELECT (STRUUID() AS ?u) WHERE {}", False),
        ("CONSTRUCT { ?s <http://example.org/p> ?b } WHERE { ?s ?p ?o BIND(BNODE() AS ?b) }",
         False),
    ],
)
def test_volatile_functions_are_not_cached(query: str, deterministic: bool) -> None:
    assert is_deterministic(query) is deterministic


def test_lru_within_the_byte_bound() -> None:
    cache = ResultCache(max_bytes=4000)
    keys = [_key(query=f"ASK {{ ?s ?p {i} }}") for i in range(10)]
    for key in keys[:3]:
        assert cache.put(key, CachedAnswer("text/plain", b"x" * 500))
    assert cache.get(keys[0]) is not None  # now the most recently used
    for key in keys[3:6]:
        cache.put(key, CachedAnswer("text/plain", b"x" * 500))
    assert cache.size_bytes <= 4000
    assert cache.get(keys[1]) is None  # least recently used went first
    assert cache.get(keys[0]) is not None
    assert cache.get(keys[5]) is not None


def test_huge_answers_are_not_kept() -> None:
    cache = ResultCache(max_bytes=4000)
    assert not cache.put(_key(), CachedAnswer("text/plain", b"x" * 1001))
    assert cache.get(_key()) is None


def test_a_new_store_version_drops_older_answers() -> None:
    cache = ResultCache(max_bytes=10_000)
    cache.put(_key(version="v1"), CachedAnswer("text/plain", b"old"))
    cache.put(_key(query="ASK {}", version="v2"), CachedAnswer("text/plain", b"new"))
    assert cache.get(_key(version="v1")) is None
    assert len(cache) == 1


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"abcd"', False),
        ("*", True),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches
