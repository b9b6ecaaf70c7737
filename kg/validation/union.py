"""The data graph of a validation run: one Oxigraph store, one named graph per source file.

Every file goes into its own named graph (`file:///…` of its path), so a re-run after an edit
can drop and replace exactly that file's triples; the shapes see the union of all graphs.

Loading has two roads, and both give the same terms (see `kg.validation.terms`):

- native: `Store.load` parses the file in Rust — fast, but Oxigraph canonicalises typed literals.
  It is taken only when every `^^` in the bytes belongs to an XSD date/gYear/gYearMonth literal
  already in canonical form or to a non-XSD datatype (`native_safe`). Bare decimals and doubles
  (`1.50`, `1e0` are typed without `^^`; Oxigraph writes `1.5`, rdflib keeps `1.50`) are found in
  the store after loading and replaced by their written form, wrapped as the Python road stores
  them, when that form is certain (`kg.validation.numbers`); otherwise the file is loaded again
  by the Python road. Bare integers and booleans are safe: both libraries write them in the
  same canonical form (`007` → `7`), except integers too long for Oxigraph's 64 bits, which it
  keeps as written — those send the file the Python road too.
- Python: the file is parsed by `ox.parse` and every XSD-typed literal is stored wrapped, with its
  lexical form untouched.

A file that does not parse, is not UTF-8 or holds no triple is reported by
`kg.dataset.read_turtle` (with its position), the same message `kg load` gives.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import file_iri, read_turtle
from kg.validation.numbers import WrittenNumbers, candidates
from kg.validation.terms import XSD, store_literal

__all__ = ["UnionStore", "graph_for", "native_safe"]

_XSD_NS = XSD.encode()
_PREFIX_DECL = re.compile(rb"(?:@prefix|PREFIX)\s+([A-Za-z][\w.\-]*)?:\s*<([^>]*)>", re.IGNORECASE)
_CARET = re.compile(rb"\^\^")
# A typed literal Oxigraph stores unchanged: canonical dates, or a datatype written with a prefix.
_SAFE_TYPED = re.compile(
    rb'"(?:(?P<date>[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))'
    rb"|(?P<ym>[1-9][0-9]{3}-(?:0[1-9]|1[0-2]))|(?P<y>[1-9][0-9]{3})"
    rb'|[^"\\\r\n]*)"\^\^(?P<prefix>[A-Za-z][\w\-]*)?:(?P<local>[A-Za-z][\w\-]*)'
)
_REWRITTEN = ", ".join(f"<{XSD}{name}>" for name in ("decimal", "float", "double"))


def graph_for(path: Path) -> ox.NamedNode:
    """The named graph holding one file's triples."""
    return ox.NamedNode(file_iri(path))


def native_safe(data: bytes) -> bool:
    """True when no typed literal in `data` could be rewritten by Oxigraph (see module doc)."""
    carets = len(_CARET.findall(data))
    if not carets:
        return True
    prefixes: dict[bytes, bytes] = {}
    for match in _PREFIX_DECL.finditer(data):
        name = match.group(1) or b""
        if prefixes.get(name, match.group(2)) != match.group(2):
            return False  # a prefix bound twice: too clever for a byte check
        prefixes[name] = match.group(2)
    safe = 0
    for match in _SAFE_TYPED.finditer(data):
        namespace = prefixes.get(match.group("prefix") or b"")
        if namespace is None:
            return False
        if namespace != _XSD_NS:
            safe += 1
            continue
        local = match.group("local")
        if (
            (local == b"date" and match.group("date"))
            or (local == b"gYearMonth" and match.group("ym"))
            or (local == b"gYear" and match.group("y"))
            or local == b"string"
        ):
            safe += 1
        else:
            return False
    return safe == carets


class UnionStore:
    """An Oxigraph store holding the union of the validated files, one graph per file."""

    def __init__(self, store: ox.Store, *, relative_iris: bool = False) -> None:
        self.store = store
        # The project's data is parsed without a base IRI, like `kg load` (a relative IRI is an
        # error); test suites written with `<>` set relative_iris to resolve against the file.
        self.relative_iris = relative_iris

    def _base(self, path: Path) -> str | None:
        return path.as_uri() if self.relative_iris else None

    def add(self, paths: Iterable[Path]) -> None:
        """Load files (each into its own graph), choosing the native road when it is exact."""
        native: list[Path] = []
        for path in paths:
            data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
            if native_safe(data):
                try:
                    data.decode("utf-8")
                    self.store.load(
                        data,
                        ox.RdfFormat.TURTLE,
                        base_iri=self._base(path),
                        to_graph=graph_for(path),
                    )
                except (SyntaxError, UnicodeDecodeError):
                    if self.relative_iris:
                        raise
                    read_turtle(path)  # raises the positioned SourceFileError
                    raise
                native.append(path)
            else:
                self._load_python(path)
        if native:
            self._check_native(native)

    def remove(self, path: Path) -> None:
        """Drop one file's triples."""
        graph = graph_for(path)
        if self.store.contains_named_graph(graph):
            self.store.remove_graph(graph)

    def _load_python(self, path: Path) -> None:
        data = path.read_bytes() if self.relative_iris else read_turtle(path).data
        graph = graph_for(path)
        prefix = "f" + hashlib.sha256(str(path).encode()).hexdigest()[:12] + "b"
        blanks: dict[str, ox.BlankNode] = {}

        def blank(node: ox.BlankNode) -> ox.BlankNode:
            found = blanks.get(node.value)
            if found is None:
                found = blanks[node.value] = ox.BlankNode(f"{prefix}{len(blanks)}")
            return found

        def quads() -> Iterator[ox.Quad]:
            for triple in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=self._base(path)):
                subject = triple.subject
                obj = triple.object
                if isinstance(subject, ox.BlankNode):
                    subject = blank(subject)
                if isinstance(obj, ox.BlankNode):
                    obj = blank(obj)
                elif isinstance(obj, ox.Literal):
                    obj = store_literal(obj)
                yield ox.Quad(subject, triple.predicate, obj, graph)

        self.store.extend(quads())

    def _check_native(self, paths: list[Path]) -> None:
        """Put back the written form of numbers Oxigraph rewrote in natively loaded files
        (`kg.validation.numbers`); reload through Python those where it is not certain."""
        by_graph = {graph_for(p).value: p for p in paths}
        numeric = (
            f"FILTER (isLiteral(?o) && (DATATYPE(?o) IN ({_REWRITTEN}) "
            f"|| DATATYPE(?o) = <{XSD}integer> && STRLEN(STR(?o)) > 18))"
        )
        hits: dict[Path, list[ox.Quad]] = {}
        if len(paths) > 50:  # one scan of the store beats a query per file
            queries = [f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o {numeric} }} }}"]
        else:
            queries = [
                f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o {numeric} }} "
                f"VALUES ?g {{ <{graph_for(path).value}> }} }}"
                for path in paths
            ]
        for query in queries:
            found = self.store.query(query)
            assert isinstance(found, ox.QuerySolutions)
            for s, p, o, g in found:
                if isinstance(g, ox.NamedNode) and g.value in by_graph:
                    assert isinstance(p, ox.NamedNode) and not isinstance(s, ox.Literal)
                    hits.setdefault(by_graph[g.value], []).append(ox.Quad(s, p, o, g))
        for path in self._restore_numbers(hits):
            self.remove(path)
            self._load_python(path)
        for path in paths:
            if (
                next(iter(self.store.quads_for_pattern(None, None, None, graph_for(path))), None)
                is None
            ):
                read_turtle(path)  # an empty file: raises "contains no triples"

    def _restore_numbers(self, hits: dict[Path, list[ox.Quad]]) -> list[Path]:
        """Replace each file's rewritten numbers by their written form; return the files where
        that form is not certain (they must take the Python road)."""
        tokens = {path: candidates(path.read_bytes()) for path in hits}
        numbers = WrittenNumbers(t for found in tokens.values() if found for t in found)
        redo: list[Path] = []
        for path, quads in hits.items():
            found = tokens[path]
            index = numbers.index(found) if found is not None else {}
            written = [numbers.written(q.object, index) for q in quads]  # type: ignore[arg-type]
            if any(w is None for w in written):
                redo.append(path)
                continue
            for quad, literal in zip(quads, written, strict=True):
                assert literal is not None
                self.store.remove(quad)
                self.store.add(ox.Quad(quad.subject, quad.predicate, literal, quad.graph_name))
        return redo
