"""Find IRIs of known vocabularies that nothing defines: typos like `hk:siteTyp`, `crm:P2_has_typ`.

An RDF parser accepts any IRI, and SHACL only checks what a shape mentions, so a misspelt property
in a data file would silently become a new, meaningless predicate. This module compares every IRI a
Turtle file uses with the terms its vocabulary actually defines: our own ontology for `hk:`, the
official vocabulary files for CIDOC CRM, PROV, DCMI terms and the rest, and rdflib's closed
namespaces for rdf:, rdfs:, owl: and xsd:. The test suite and the CLI share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD, DefinedNamespaceMeta
from rdflib.util import guess_format

from kg.dataset import syntax_error
from kg.errors import SourceFileError
from kg.namespaces import HK, PREFIXES

__all__ = [
    "CHECKED_EXTERNAL_PREFIXES",
    "Definitions",
    "UndefinedTerm",
    "closed_namespace_terms",
    "defined_subjects",
    "namespace_of",
    "ontology_terms",
    "project_definitions",
    "undefined_terms",
]

Definitions = Mapping[str, Set[str]]
"""Namespace IRI → the full IRIs defined in it. Only IRIs in one of these namespaces are checked."""

CHECKED_EXTERNAL_PREFIXES: tuple[str, ...] = (
    "skos",
    "dcterms",
    "prov",
    "geo",
    "crm",
    "cito",
    "dcat",
    "edm",
    "sh",
)
"""External prefixes of docs/spec.md's table whose vocabulary files are in shared/vocabularies.

`geof:` and `void:` are in kg.namespaces but have no vocabulary file (VoID was not found; GeoSPARQL
functions are not defined as RDF subjects), so their IRIs are not checked.
"""

_CLOSED: tuple[DefinedNamespaceMeta, ...] = (RDF, RDFS, OWL, XSD)
_VOCAB_SUFFIXES = frozenset({".ttl", ".nt", ".rdf", ".owl", ".xml", ".n3"})


@dataclass(frozen=True, order=True, slots=True)
class UndefinedTerm:
    """An IRI used in `file` that lies in a checked namespace but is not defined there.

    `line` is the first line where the term appears in the file's text (None if only the parser
    could see it, e.g. built from a relative IRI), so an editor can jump straight to the typo.
    """

    file: Path
    term: str
    line: int | None = None

    def __str__(self) -> str:
        where = str(self.file) if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: <{self.term}> is not defined by its vocabulary"


def namespace_of(iri: str, namespaces: Iterable[str]) -> str | None:
    """The longest namespace `iri` belongs to, or None.

    An IRI belongs to a namespace when it starts with it and the rest is a non-empty local name
    without '/' or '#'; so `…/vocab/site-type/mosque` is not a term of `hkv:` (`…/vocab/`), and the
    namespace IRI itself (a vocabulary's own IRI, as in `dcterms:conformsTo <…/cidoc-crm/>`) is
    never reported.
    """
    best: str | None = None
    for ns in namespaces:
        if iri.startswith(ns) and len(iri) > len(ns) and (best is None or len(ns) > len(best)):
            local = iri[len(ns) :]
            if "/" not in local and "#" not in local:
                best = ns
    return best


def undefined_terms(files: Iterable[Path], definitions: Definitions) -> list[UndefinedTerm]:
    """Every IRI used in the Turtle `files` (any position, and literal datatypes) that is undefined.

    Raises `SourceFileError` (with line and column) for a file that does not parse: a file that
    cannot be read cannot be said to use only defined terms. The result is sorted by file and term.
    """
    found: list[UndefinedTerm] = []
    for path in files:
        data = path.read_bytes()
        used: set[str] = set()
        try:
            for quad in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()):
                _collect_iris(quad.subject, used)
                _collect_iris(quad.predicate, used)
                _collect_iris(quad.object, used)
        except SyntaxError as exc:
            raise syntax_error(path, exc) from None
        text = data.decode("utf-8", errors="replace")
        for iri in sorted(used):
            ns = namespace_of(iri, definitions)
            if ns is not None and iri not in definitions[ns]:
                found.append(UndefinedTerm(path, iri, _first_line(text, iri, ns)))
    return sorted(found)


def _collect_iris(term: object, into: set[str]) -> None:
    """Add the IRIs in one RDF term: a named node, a literal's datatype, a quoted triple's parts."""
    if isinstance(term, ox.NamedNode):
        into.add(term.value)
    elif isinstance(term, ox.Literal):
        into.add(term.datatype.value)
    elif isinstance(term, ox.Triple):
        for part in (term.subject, term.predicate, term.object):
            _collect_iris(part, into)


def _first_line(text: str, iri: str, namespace: str) -> int | None:
    """1-based line of the first `<iri>` or `prefix:local` spelling of `iri` in `text`."""
    local = re.escape(iri[len(namespace) :])
    full = re.escape(f"<{iri}>")
    prefixed = r"(?<![\w<:/.-])(?:[A-Za-z][\w.-]*)?:" + local + r"(?![\w-])"
    pattern = re.compile(f"{full}|{prefixed}")
    match = pattern.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def defined_subjects(paths: Iterable[Path]) -> frozenset[str]:
    """The IRIs that appear as subjects in the given RDF files, read with rdflib.

    rdflib rather than pyoxigraph because DCMI's own `dcterms.rdf` uses an XML DOCTYPE with
    single-quoted entities that pyoxigraph rejects. Being a subject is what "defined" means for
    these files: every term they define has at least a type and a label.
    """
    subjects: set[str] = set()
    for path in paths:
        graph = Graph()
        try:
            graph.parse(path, format=guess_format(str(path)) or "turtle")
        except Exception as exc:  # rdflib raises many unrelated types for bad input
            raise SourceFileError(path, f"cannot be read as RDF: {exc}") from exc
        subjects.update(str(s) for s in graph.subjects() if isinstance(s, URIRef))
    return frozenset(subjects)


def ontology_terms(ontology: Path, shapes: Iterable[Path] = ()) -> frozenset[str]:
    """The hk: terms defined in the ontology file, plus the hk: shapes the SHACL files declare.

    A term counts as defined by the ontology when it has an rdf:type there. Shapes (hk:…Shape)
    live in their own files; they count when a shapes file types them with a SHACL class
    (sh:NodeShape, sh:PropertyShape…), so a misspelt `sh:node hk:SiteShap` is still caught.
    """
    graph = Graph().parse(ontology, format="turtle")
    terms = {str(s) for s in graph.subjects(RDF.type, None) if str(s).startswith(HK)}
    for path in shapes:
        shapes_graph = Graph().parse(path, format="turtle")
        for subject, kind in shapes_graph.subject_objects(RDF.type):
            if str(subject).startswith(HK) and str(kind).startswith(str(SH)):
                terms.add(str(subject))
    return frozenset(terms)


def closed_namespace_terms() -> dict[str, frozenset[str]]:
    """rdf:, rdfs:, owl: and xsd: terms as rdflib's closed namespaces list them."""
    return {str(ns._NS): frozenset(str(term) for term in dir(ns)) for ns in _CLOSED}


def project_definitions(root: Path, vocabularies: Path) -> dict[str, frozenset[str]]:
    """The definitions a heritage-kg checkout is checked against.

    hk: from `root/ontology/heritage.ttl` (and shapes in `root/ontology/shapes/`), each external
    prefix of CHECKED_EXTERNAL_PREFIXES from the RDF files under `vocabularies`, and the W3C
    core namespaces from rdflib.
    """
    shapes = sorted((root / "ontology" / "shapes").glob("*.ttl"))
    vocab_files = sorted(
        p for p in vocabularies.rglob("*") if p.is_file() and p.suffix in _VOCAB_SUFFIXES
    )
    subjects = defined_subjects(vocab_files)
    definitions: dict[str, frozenset[str]] = {
        HK: ontology_terms(root / "ontology" / "heritage.ttl", shapes)
    }
    for prefix in CHECKED_EXTERNAL_PREFIXES:
        ns = PREFIXES[prefix]
        definitions[ns] = frozenset(s for s in subjects if s.startswith(ns))
    definitions.update(closed_namespace_terms())
    return definitions
