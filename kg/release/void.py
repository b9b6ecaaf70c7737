"""The VoID + DCAT description of a release: what it is, what it holds, where each dump is.

A partner registers the dataset from this one file: title, licence, publisher, version and dates;
triple and entity counts with class and property partitions (counted on the store the release was
made from); each dump as a `dcat:Distribution` with its download addresses, media type, size and
SHA-256 checksum; and whether the release conforms to the project's SHACL shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from kg.namespaces import ID_BASE, PREFIXES

__all__ = [
    "DatasetCounts",
    "Distribution",
    "ReleaseInfo",
    "count_dataset",
    "dataset_iri",
    "void_turtle",
]

_NS = {
    **PREFIXES,
    "spdx": "http://spdx.org/rdf/terms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
_IANA = "https://www.iana.org/assignments/media-types/"

_Add = Callable[
    [ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal], None
]


def _iri(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(_NS[prefix] + local)


def _literal(value: int | str, datatype: str | None = None) -> ox.Literal:
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_iri("xsd", "integer"))
    if datatype is not None:
        return ox.Literal(value, datatype=_iri("xsd", datatype))
    return ox.Literal(value)


@dataclass(frozen=True, slots=True)
class DatasetCounts:
    """Counts of one store: all quads, subjects, entities (IRI subjects) and partitions."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    graphs: int
    classes: tuple[tuple[str, int], ...]  # class IRI, distinct instances
    properties: tuple[tuple[str, int], ...]  # property IRI, triples


def _rows(store: ox.Store, query: str) -> list[list[str]]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    rows = []
    for solution in result:
        row = []
        for term in solution:
            assert isinstance(term, ox.NamedNode | ox.Literal)
            row.append(term.value)
        rows.append(row)
    return rows


def count_dataset(store: ox.Store) -> DatasetCounts:
    """Count what VoID asks for, over all named graphs (the default graph is unused by kg)."""
    (totals,) = _rows(
        store,
        "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do) "
        "(COUNT(DISTINCT ?g) AS ?ng) WHERE { GRAPH ?g { ?s ?p ?o } }",
    )
    (entities,) = _rows(
        store,
        "SELECT (COUNT(DISTINCT ?s) AS ?e) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }",
    )
    classes = _rows(
        store,
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } FILTER(isIRI(?c)) } "
        "GROUP BY ?c ORDER BY ?c",
    )
    properties = _rows(
        store,
        "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p",
    )
    return DatasetCounts(
        triples=int(totals[0]),
        distinct_subjects=int(totals[1]),
        distinct_objects=int(totals[2]),
        graphs=int(totals[3]),
        entities=int(entities[0]),
        classes=tuple((c, int(n)) for c, n in classes),
        properties=tuple((p, int(n)) for p, n in properties),
    )


@dataclass(frozen=True, slots=True)
class Distribution:
    """One dump file of a release."""

    name: str  # file name inside the release directory
    title: str
    media_type: str  # e.g. application/n-quads
    compressed: bool
    byte_size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """Who publishes what, under which licence, when."""

    version: str
    base_url: str  # ends with "/"; dumps live under <base_url>dumps/
    title: str
    description: str
    license_iri: str
    publisher_iri: str
    publisher_name: str
    issued: datetime
    modified: datetime
    previous_version: str | None
    conforms: bool | None  # None: not validated
    shapes_iri: str
    report_name: str | None


def dataset_iri(info: ReleaseInfo) -> str:
    """The release's IRI: a fragment of its own void.ttl, so it dereferences to this file."""
    return f"{info.base_url}dumps/{info.version}/void.ttl#dataset"


def void_turtle(
    info: ReleaseInfo, counts: DatasetCounts, distributions: Sequence[Distribution]
) -> bytes:
    """The release description as Turtle."""
    t: list[ox.Triple] = []
    dataset = ox.NamedNode(dataset_iri(info))
    a = _iri("rdf", "type")

    def add(
        s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        t.append(ox.Triple(s, p, o))

    add(dataset, a, _iri("dcat", "Dataset"))
    add(dataset, a, _iri("void", "Dataset"))
    add(dataset, _iri("dcterms", "title"), ox.Literal(info.title, language="en"))
    add(dataset, _iri("dcterms", "description"), ox.Literal(info.description, language="en"))
    add(dataset, _iri("dcterms", "license"), ox.NamedNode(info.license_iri))
    publisher = ox.NamedNode(info.publisher_iri)
    add(dataset, _iri("dcterms", "publisher"), publisher)
    add(publisher, a, _iri("foaf", "Agent"))
    add(publisher, _iri("foaf", "name"), ox.Literal(info.publisher_name))
    add(dataset, _iri("dcat", "version"), ox.Literal(info.version))
    add(dataset, _iri("owl", "versionInfo"), ox.Literal(info.version))
    add(dataset, _iri("dcterms", "issued"), _literal(info.issued.isoformat(), "dateTime"))
    add(dataset, _iri("dcterms", "modified"), _literal(info.modified.isoformat(), "dateTime"))
    add(dataset, _iri("dcterms", "isVersionOf"), ox.NamedNode(f"{info.base_url}dataset"))
    if info.previous_version is not None:
        previous = f"{info.base_url}dumps/{info.previous_version}/void.ttl#dataset"
        add(dataset, _iri("dcat", "previousVersion"), ox.NamedNode(previous))
    add(dataset, _iri("void", "uriSpace"), ox.Literal(ID_BASE))
    add(dataset, _iri("void", "triples"), _literal(counts.triples))
    add(dataset, _iri("void", "entities"), _literal(counts.entities))
    add(dataset, _iri("void", "distinctSubjects"), _literal(counts.distinct_subjects))
    add(dataset, _iri("void", "distinctObjects"), _literal(counts.distinct_objects))
    add(dataset, _iri("void", "classes"), _literal(len(counts.classes)))
    add(dataset, _iri("void", "properties"), _literal(len(counts.properties)))
    for index, (cls, n) in enumerate(counts.classes):
        part = ox.NamedNode(f"{dataset.value}-class-{index}")
        add(dataset, _iri("void", "classPartition"), part)
        add(part, _iri("void", "class"), ox.NamedNode(cls))
        add(part, _iri("void", "entities"), _literal(n))
    for index, (prop, n) in enumerate(counts.properties):
        part = ox.NamedNode(f"{dataset.value}-property-{index}")
        add(dataset, _iri("void", "propertyPartition"), part)
        add(part, _iri("void", "property"), ox.NamedNode(prop))
        add(part, _iri("void", "triples"), _literal(n))
    _conformance(info, dataset, add)
    for dist in distributions:
        _distribution(info, dataset, dist, add)
    out = ox.serialize(t, format=ox.RdfFormat.TURTLE, prefixes=_prefixes_used())
    assert out is not None
    return out


def _prefixes_used() -> dict[str, str]:
    names = ("rdf", "rdfs", "xsd", "owl", "dcterms", "dcat", "void", "foaf", "spdx", "sh", "hk")
    return {name: _NS[name] for name in names}


def _conformance(info: ReleaseInfo, dataset: ox.NamedNode, add: _Add) -> None:
    """`dcterms:conformsTo` the shapes when valid; a link to the report either way."""
    if info.conforms is None or info.report_name is None:
        return
    shapes = ox.NamedNode(info.shapes_iri)
    if info.conforms:
        add(dataset, _iri("dcterms", "conformsTo"), shapes)
    report = ox.NamedNode(f"{info.base_url}dumps/{info.version}/{info.report_name}")
    add(report, _iri("rdf", "type"), _iri("sh", "ValidationReport"))
    add(report, _iri("sh", "conforms"), _literal("true" if info.conforms else "false", "boolean"))
    add(report, _iri("dcterms", "subject"), dataset)
    add(report, _iri("dcterms", "references"), shapes)
    add(dataset, _iri("dcterms", "relation"), report)


def _distribution(info: ReleaseInfo, dataset: ox.NamedNode, dist: Distribution, add: _Add) -> None:
    node = ox.NamedNode(f"{dataset_iri(info).removesuffix('#dataset')}#{dist.name}")
    versioned = ox.NamedNode(f"{info.base_url}dumps/{info.version}/{dist.name}")
    add(dataset, _iri("dcat", "distribution"), node)
    add(dataset, _iri("void", "dataDump"), versioned)
    add(node, _iri("rdf", "type"), _iri("dcat", "Distribution"))
    add(node, _iri("dcterms", "title"), ox.Literal(dist.title, language="en"))
    add(node, _iri("dcat", "downloadURL"), versioned)
    add(node, _iri("dcat", "downloadURL"), ox.NamedNode(f"{info.base_url}dumps/latest/{dist.name}"))
    add(node, _iri("dcat", "mediaType"), ox.NamedNode(_IANA + dist.media_type))
    if dist.compressed:
        add(node, _iri("dcat", "compressFormat"), ox.NamedNode(_IANA + "application/gzip"))
    add(node, _iri("dcat", "byteSize"), _literal(str(dist.byte_size), "nonNegativeInteger"))
    add(node, _iri("dcterms", "license"), ox.NamedNode(info.license_iri))
    checksum = ox.BlankNode()
    add(node, _iri("spdx", "checksum"), checksum)
    add(checksum, _iri("rdf", "type"), _iri("spdx", "Checksum"))
    add(checksum, _iri("spdx", "algorithm"), _iri("spdx", "checksumAlgorithm_sha256"))
    add(checksum, _iri("spdx", "checksumValue"), _literal(dist.sha256, "hexBinary"))

