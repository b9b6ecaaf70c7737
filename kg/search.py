"""A small full-text index of every name and label, so an entity is found in any script.

Oxigraph has no full-text index and `FILTER(CONTAINS(...))` scans every literal, so `kg load` writes
an SQLite FTS5 table beside the store, inside the build directory: it is part of the same atomic
build and swaps with it when `current` moves (a reader never sees the index of another build).

What is indexed, per minted entity: its `rdfs:label`s, SKOS labels, `dcterms:title`s and the written
forms of its `hk:Name`s, in every language and script. The `unicode61` tokenizer with
`remove_diacritics 2` folds case and diacritics, so "Susa" finds "Şuşa" and "шуша" finds "Шуша";
each word of a query is matched as a prefix, so "Şuş" finds it too.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UserInputError
from kg.namespaces import ID_BASE, PREFIXES

__all__ = [
    "SEARCH_INDEX_FILE",
    "SearchHit",
    "build_search_index",
    "search",
]

SEARCH_INDEX_FILE = "search.sqlite"

_INDEXED_TEXT = f"""
PREFIX rdfs: <{PREFIXES["rdfs"]}>
PREFIX skos: <{PREFIXES["skos"]}>
PREFIX dcterms: <{PREFIXES["dcterms"]}>
PREFIX hk: <{PREFIXES["hk"]}>
SELECT DISTINCT ?entity ?text WHERE {{
  {{ ?entity rdfs:label|skos:prefLabel|skos:altLabel|dcterms:title ?text }}
  UNION
  {{ ?entity hk:hasName/hk:writtenForm ?text }}
  FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{ID_BASE}"))
}}
"""

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One entity whose names match: its IRI, its kind (site, place…) and the matching text."""

    iri: str
    kind: str
    text: str


def build_search_index(store: ox.Store, path: Path) -> int:
    """Write the name index of `store` to a new SQLite file at `path`; return the rows written.

    The file is written whole by this call and never changed afterwards, like the store beside it.
    """
    result = store.query(_INDEXED_TEXT, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    texts: dict[str, set[str]] = {}
    for row in result:
        entity, text = row["entity"], row["text"]
        assert isinstance(entity, ox.NamedNode) and isinstance(text, ox.Literal)
        texts.setdefault(entity.value, set()).add(text.value)
    rows = [
        (iri, _kind(iri), text)
        for iri in sorted(texts)
        for text in sorted(texts[iri])
    ]
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "CREATE VIRTUAL TABLE names USING fts5("
                "iri UNINDEXED, kind UNINDEXED, text, "
                "tokenize = 'unicode61 remove_diacritics 2')"
            )
            connection.executemany("INSERT INTO names (iri, kind, text) VALUES (?, ?, ?)", rows)
    finally:
        connection.close()
    return len(rows)


def search(
    path: Path, text: str, *, kinds: tuple[str, ...] = (), limit: int = 50
) -> list[SearchHit]:
    """Entities any of whose names contain every word of `text` as a word prefix, best first.

    One hit per entity (its best-matching name). `kinds` narrows to some kinds of entity. Text
    with no word characters finds nothing rather than everything.
    """
    words = _WORD.findall(text)
    if not words:
        return []
    match = " AND ".join('"' + word.replace('"', '""') + '"*' for word in words)
    if not path.is_file():
        raise UserInputError(f"No search index at {path}: run `kg load` to build one.")
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        found = connection.execute(
            "SELECT iri, kind, text FROM names WHERE names MATCH ? ORDER BY rank",
            (match,),
        ).fetchall()
    finally:
        connection.close()
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for iri, kind, name in found:
        if iri in seen or (kinds and kind not in kinds):
            continue
        seen.add(iri)
        hits.append(SearchHit(iri=iri, kind=kind, text=name))
        if len(hits) >= limit:
            break
    return hits


def _kind(iri: str) -> str:
    """The kind segment of a minted IRI: `…/id/site/x` → `site`."""
    return iri[len(ID_BASE):].split("/", 1)[0]
