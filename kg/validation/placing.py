"""Where in the sources a result belongs: the focus node's position in the file that writes it.

The store knows which file (named graph) holds a node's triples, so only the files that have
results are read a second time, by the locator (`kg.validation.sources`, cached per file). A blank
node has no name that survives parsing — Oxigraph's native loader even draws random labels — so
it is matched by its canonical description (the triples that hold it and the triples it holds,
`kg.validation.results.canonical`), computed on both sides from that one file's triples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kg.validation.locator import Position
from kg.validation.results import canonical
from kg.validation.sources import ParsedFile, load_file
from kg.validation.terms import to_rdflib
from kg.validation.union import graph_for

__all__ = ["Placer"]


class Placer:
    """Finds (file, line, column) for focus nodes; files are searched in validation order."""

    def __init__(self, store: ox.Store, files: Sequence[Path], cache_dir: Path | None) -> None:
        self.store = store
        self.files = list(files)
        self.cache_dir = cache_dir
        self._parsed: dict[Path, ParsedFile] = {}
        self._blanks: dict[Path, dict[str, list[Position]]] = {}

    def place(self, focus: Node) -> tuple[Path | None, Position]:
        if isinstance(focus, URIRef):
            node = ox.NamedNode(str(focus))
            for as_subject in (True, False):
                graphs = self._graphs(node, as_subject)
                for path in graphs:
                    parsed = self._parse(path)
                    found = (parsed.subjects if as_subject else parsed.objects).get(focus)
                    if found is not None:
                        return path, found
            return None, (0, 0)
        if isinstance(focus, BNode):
            blank = ox.BlankNode(str(focus))
            graphs = self._graphs(blank, True) or self._graphs(blank, False)
            for path in graphs:
                described = canonical(focus, self._store_graph(path))
                positions = self._blank_positions(path).get(described)
                if positions:
                    return path, positions[0]
                return path, (0, 0)
        return None, (0, 0)

    @cached_property
    def order(self) -> dict[ox.NamedNode, int]:
        """Each file's graph and its rank (built on first use: most runs place nothing new)."""
        return {graph_for(p): i for i, p in enumerate(self.files)}

    def _graphs(self, node: ox.NamedNode | ox.BlankNode, as_subject: bool) -> list[Path]:
        quads: Iterable[ox.Quad] = (
            self.store.quads_for_pattern(node, None, None)
            if as_subject
            else self.store.quads_for_pattern(None, None, node)
        )
        found = {q.graph_name for q in quads}
        ranked = sorted(
            (self.order[g], g) for g in found if isinstance(g, ox.NamedNode) and g in self.order
        )
        return [self.files[i] for i, _ in ranked]

    def _parse(self, path: Path) -> ParsedFile:
        found = self._parsed.get(path)
        if found is None:
            found = self._parsed[path] = load_file(path, cache_dir=self.cache_dir)
        return found

    def _store_graph(self, path: Path) -> Graph:
        graph = Graph()
        for quad in self.store.quads_for_pattern(None, None, None, graph_for(path)):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def _blank_positions(self, path: Path) -> dict[str, list[Position]]:
        found = self._blanks.get(path)
        if found is None:
            parsed = self._parse(path)
            graph = Graph()
            for triple in parsed.triples:
                graph.add(triple)
            found = {}
            for blank, position in sorted(parsed.blanks.items(), key=lambda item: item[1]):
                found.setdefault(canonical(blank, graph), []).append(position)
            self._blanks[path] = found
        return found
