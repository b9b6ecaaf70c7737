"""Read Turtle files into rdflib triples plus source positions, cached by content hash.

rdflib's Turtle parser is the slow part of plain pyshacl runs, so files are parsed with pyoxigraph
(strictly, through `kg.dataset.read_turtle`, which also owns the error messages) and the triples
are converted to rdflib terms. The locator's positions are computed in the same pass. Both are
pickled under `<root>/var/cache/validation/`, keyed by the file's path and bytes, so a re-run
after editing one file parses only that file.

Term conversion follows what rdflib's own parser produces, so pyshacl sees the same graph:
`xsd:string` literals become plain literals, language tags get their conventional BCP 47 case
(pyoxigraph lowercases them), and literals are built with rdflib's normal lexical normalisation.
Blank nodes get labels unique to the file, as separate rdflib parses would give them.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.dataset import read_turtle
from kg.validation.locator import Position, blank_node_keys, locate_text

__all__ = ["ParsedFile", "load_file"]

_CACHE_VERSION = b"kg-validation-parse-v1"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One file's triples as rdflib terms, and where its nodes are written."""

    path: Path
    triples: tuple[Triple, ...]
    subjects: dict[Node, Position]
    objects: dict[Node, Position]
    blanks: dict[Node, Position]


def load_file(path: Path, *, cache_dir: Path | None) -> ParsedFile:
    """Parse `path` (or take it from the cache when its bytes are unchanged)."""
    raw = path.read_bytes() if cache_dir is not None else b""
    cached: Path | None = None
    if cache_dir is not None:
        digest = hashlib.sha256(_CACHE_VERSION + str(path).encode() + b"\0" + raw).hexdigest()
        cached = cache_dir / f"{digest}.pickle"
        try:
            with cached.open("rb") as handle:
                parsed = pickle.load(handle)
            if isinstance(parsed, ParsedFile):
                return ParsedFile(
                    path, parsed.triples, parsed.subjects, parsed.objects, parsed.blanks
                )
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
            pass
    parsed = _parse(path)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{id(parsed)}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cached)
    return parsed


def _parse(path: Path) -> ParsedFile:
    document = read_turtle(path)  # strict: raises SourceFileError with a position
    text = document.data.decode("utf-8")
    ox_triples = list(ox.parse(document.data, ox.RdfFormat.TURTLE))
    positions = locate_text(text)
    keys = blank_node_keys(ox_triples, labels=positions.labels)
    # Labels unique to this file: separate rdflib parses never share blank nodes.
    prefix = "f" + hashlib.sha256(str(path).encode()).hexdigest()[:10] + "x"
    terms: dict[object, Node] = {}

    def convert(term: object) -> Node:
        found = terms.get(term)
        if found is not None:
            return found
        node: Node
        if isinstance(term, ox.NamedNode):
            node = URIRef(term.value)
        elif isinstance(term, ox.BlankNode):
            node = BNode(prefix + term.value)
        elif isinstance(term, ox.Literal):
            node = _literal(term)
        else:
            raise TypeError(f"unsupported RDF term in {path}: {term!r}")
        terms[term] = node
        return node

    triples = tuple(
        (convert(t.subject), convert(t.predicate), convert(t.object)) for t in ox_triples
    )
    subjects: dict[Node, Position] = {URIRef(i): pos for i, pos in positions.subjects.items()}
    objects: dict[Node, Position] = {URIRef(i): pos for i, pos in positions.objects.items()}
    blanks: dict[Node, Position] = {}
    for label in positions.labels:
        pos = positions.blanks.get(("label", label))
        if pos is not None:
            blanks[BNode(prefix + label)] = pos
    for label, key in keys.items():
        pos = positions.blanks.get(key)
        if pos is not None:
            blanks[BNode(prefix + label)] = pos
    return ParsedFile(path, triples, subjects, objects, blanks)


def _literal(term: ox.Literal) -> Literal:
    if term.language:
        return Literal(term.value, lang=bcp47_case(term.language))
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def bcp47_case(tag: str) -> str:
    """`az-cyrl` → `az-Cyrl`, `en-gb` → `en-GB`: the case people write (tags are case-blind)."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    singleton = False
    for part in parts[1:]:
        if singleton or len(part) == 1:
            singleton = True
            out.append(part.lower())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)
