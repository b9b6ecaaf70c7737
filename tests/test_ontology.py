"""The ontology says what docs/spec.md says, in three languages, aligned only to terms that exist.

docs/spec.md is the contract; these tests read its tables and compare them with
ontology/heritage.ttl, so the two cannot drift apart silently. They also check every IRI of a known
vocabulary used anywhere in ontology/ and data/ttl/ against the vocabulary that should define it, so
a typo such as `hk:siteTyp` fails the build with the file, the line and the unknown term.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.errors import SourceFileError
from kg.namespaces import HK, PREFIXES
from kg.terms import UndefinedTerm, namespace_of, project_definitions, undefined_terms

ROOT = Path(__file__).parents[1]
SPEC = ROOT / "docs" / "spec.md"
ONTOLOGY = ROOT / "ontology" / "heritage.ttl"
EXTERNAL_LABELS = ROOT / "ontology" / "external-labels.ttl"
VOCABULARIES = ROOT / ".." / "shared" / "vocabularies"
LANGUAGES = ("en", "az", "ru")
ALIGNMENT_PREDICATES = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    SKOS.closeMatch,
    SKOS.exactMatch,
    OWL.equivalentClass,
    OWL.equivalentProperty,
)
PROPERTY_KINDS = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
HK_ROLE = URIRef(HK + "role")
STATEMENT_PROPERTY = URIRef(HK + "StatementProperty")
ROLE_NS = PREFIXES["role"]
CURIE = re.compile(r"`([a-z]+:[A-Za-z][\w-]*)`")


def expand(curie: str) -> URIRef:
    """`crm:E5_Event` → its full IRI, through the project's one prefix table."""
    prefix, local = curie.split(":", 1)
    return URIRef(PREFIXES[prefix] + local)


# --- reading docs/spec.md -------------------------------------------------------------------------


@dataclass
class SpecRow:
    """One row of the spec's class or property table, as the ontology must reproduce it."""

    terms: list[URIRef]
    domain: str
    range: str
    notes: str
    is_class: bool
    card: str = ""
    sub: list[list[URIRef]] = field(default_factory=list)
    close: list[URIRef] = field(default_factory=list)
    roles: list[URIRef] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _table_lines(section: str) -> Iterator[str]:
    for line in section.splitlines():
        if line.startswith("| `"):
            yield line


def _parse_alignment(row: SpecRow, notes: str) -> None:
    """Split notes like '⊑ `crm:P2_has_type`; closeMatch `edm:X`; role `role:patron`'."""
    for segment in notes.split(";"):
        curies = [expand(c) for c in CURIE.findall(segment)]
        if "⊑" in segment:
            if len(row.terms) > 1 and " / " in segment and len(curies) == len(row.terms):
                row.sub = [[target] for target in curies]  # `hk:earliest` / `hk:latest` pairs
            else:
                row.sub = [curies for _ in row.terms]
        elif "closeMatch" in segment:
            row.close = curies
        elif re.search(r"\brole `", segment):
            row.roles = [c for c in curies if str(c).startswith(ROLE_NS)]


def spec_rows() -> list[SpecRow]:
    """The hk: rows of the class and property tables of docs/spec.md."""
    text = SPEC.read_text(encoding="utf-8")
    rows: list[SpecRow] = []
    for line in _table_lines(_section(text, "## Classes")):
        name, _meaning, aligned = _cells(line)
        row = SpecRow([URIRef(HK + name.strip("`"))], "", "", aligned, is_class=True)
        _parse_alignment(row, aligned)
        rows.append(row)
    for line in _table_lines(_section(text, "## Properties")):
        names, domain_range, card, notes = _cells(line)[:4]
        terms = [expand(c) for c in CURIE.findall(names)]
        if not terms or not all(str(t).startswith(HK) for t in terms):
            continue
        domain, _, range_ = domain_range.partition("→")
        row = SpecRow(terms, domain.strip(), range_.strip(), notes, is_class=False, card=card)
        _parse_alignment(row, notes)
        rows.append(row)
    return rows


def spec_hk_terms() -> set[URIRef]:
    """Every backticked `hk:xxx` in the spec plus the class names of its class table."""
    text = SPEC.read_text(encoding="utf-8")
    names = {expand(c) for c in CURIE.findall(text) if c.startswith("hk:")}
    return names | {t for row in spec_rows() if row.is_class for t in row.terms}


CLASS_ALIASES = {
    "Site": URIRef(HK + "HeritageSite"),  # the spec's shorthand in 'Site/Object'
    "Object": URIRef(HK + "MovableObject"),
    "Geometry": URIRef(PREFIXES["geo"] + "Geometry"),
    "concept": SKOS.Concept,
}
NOT_A_CLASS = {"IRI", "anything"}


def _type_words(cell: str) -> list[str]:
    """The class names and CURIEs a domain or range cell mentions, in order.

    Backticked examples and parenthesised remarks are dropped, and so are capitalised words that
    are not classes (ISO, BCP, EDTF); 'concept in `hkv:x`' counts as skos:Concept.
    """
    plain = re.sub(r"\(.*?\)|`[^`]*`", " ", cell)
    classes = {str(t)[len(HK) :] for row in spec_rows() if row.is_class for t in row.terms}
    known = classes | set(CLASS_ALIASES) | NOT_A_CLASS
    return [w for w in re.findall(r"[A-Za-z][\w:-]*", plain) if ":" in w or w in known]


def single_class(cell: str) -> URIRef | None:
    """The one class a cell names, or None for a union ('Site/Object', 'xsd:gYear or xsd:date'),
    an IRI or 'anything' — the cases where the ontology must give no rdfs:domain/rdfs:range."""
    words = _type_words(cell)
    if len(words) != 1 or words[0] in NOT_A_CLASS:
        return None
    word = words[0]
    if ":" in word:
        return expand(word)
    return CLASS_ALIASES.get(word, URIRef(HK + word))


def is_literal_range(cell: str) -> bool:
    """True when every type the range cell names is a datatype (xsd:…, rdf:langString)."""
    words = _type_words(cell)
    return bool(words) and all(w.startswith(("xsd:", "rdf:langString")) for w in words)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def external_labels() -> Graph:
    return Graph().parse(EXTERNAL_LABELS, format="turtle")


@pytest.fixture(scope="module")
def definitions() -> dict[str, frozenset[str]]:
    if not VOCABULARIES.is_dir():
        pytest.skip(f"shared vocabularies not found at {VOCABULARIES.resolve()}")
    return project_definitions(ROOT, VOCABULARIES)


def _names(nodes: Iterable[object]) -> list[str]:
    """Sorted IRIs as plain strings, for readable failure messages."""
    return sorted(str(n) for n in nodes)


def hk_terms(graph: Graph) -> set[URIRef]:
    return {
        s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(HK)
    }


# --- (a) parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, EXTERNAL_LABELS], ids=lambda p: p.name)
def test_parses_with_rdflib_and_pyoxigraph(path: Path) -> None:
    rdflib_count = len(Graph().parse(path, format="turtle"))
    oxigraph_count = sum(1 for _ in ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    assert rdflib_count > 0
    assert rdflib_count == oxigraph_count


def test_ontology_header(ontology: Graph) -> None:
    iri = URIRef("https://w3id.org/heritage-kg/ontology")
    assert (iri, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(iri, OWL.versionInfo) == Literal("0.1.0")
    assert ontology.value(iri, URIRef(PREFIXES["dcterms"] + "license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    for prop in ("title", "description"):
        assert ontology.value(iri, URIRef(PREFIXES["dcterms"] + prop)) is not None, prop


def test_only_canonical_prefixes_are_declared() -> None:
    declared = dict(
        re.findall(r"^@prefix\s+([\w-]*):\s*<([^>]*)>", ONTOLOGY.read_text("utf-8"), re.M)
    )
    for prefix, iri in declared.items():
        assert PREFIXES.get(prefix) == iri, f"@prefix {prefix}: <{iri}> is not in the spec table"


# --- (b) labels and definitions -------------------------------------------------------------------


def test_every_hk_term_has_labels_and_an_english_definition(ontology: Graph) -> None:
    problems = []
    for term in sorted(hk_terms(ontology)):
        labels = [o for o in ontology.objects(term, RDFS.label) if isinstance(o, Literal)]
        for lang in LANGUAGES:
            count = sum(1 for label in labels if label.language == lang)
            if count != 1:
                problems.append(f"{term}: {count} rdfs:label @{lang} (want exactly 1)")
        definitions = [o for o in ontology.objects(term, SKOS.definition) if isinstance(o, Literal)]
        if not any(d.language == "en" for d in definitions):
            problems.append(f"{term}: no skos:definition @en")
    assert not problems, "\n".join(problems)


def test_every_hk_term_has_exactly_one_kind(ontology: Graph) -> None:
    for term in hk_terms(ontology):
        kinds = set(ontology.objects(term, RDF.type)) & ({OWL.Class} | PROPERTY_KINDS)
        assert len(kinds) == 1, f"{term} is typed {kinds}"


# --- (d) the spec's terms are all here, and as the spec describes them ----------------------------


def test_spec_parser_reads_the_tables() -> None:
    rows = spec_rows()
    terms = {t for row in rows for t in row.terms}
    assert URIRef(HK + "HeritageSite") in terms
    assert URIRef(HK + "siteType") in terms
    assert sum(row.is_class for row in rows) >= 14
    assert sum(not row.is_class for row in rows) >= 40


def test_every_spec_term_is_defined(ontology: Graph) -> None:
    missing = sorted(spec_hk_terms() - hk_terms(ontology))
    assert not missing, f"in docs/spec.md but not in ontology/heritage.ttl: {missing}"


def test_no_term_beyond_the_spec(ontology: Graph) -> None:
    extra = sorted(hk_terms(ontology) - spec_hk_terms())
    assert not extra, f"in ontology/heritage.ttl but not in docs/spec.md: {extra}"


def test_alignments_follow_the_spec(ontology: Graph) -> None:
    problems = []
    for row in spec_rows():
        sub_predicate = RDFS.subClassOf if row.is_class else RDFS.subPropertyOf
        for i, term in enumerate(row.terms):
            wanted = set(row.sub[i]) if row.sub else set()
            if row.is_class and STATEMENT_PROPERTY in row.terms:
                wanted = {OWL.ObjectProperty}
            got = set(ontology.objects(term, sub_predicate))
            if got != wanted:
                problems.append(f"{term} {sub_predicate}: spec {_names(wanted)}, got {_names(got)}")
            close = set(ontology.objects(term, SKOS.closeMatch))
            if close != set(row.close):
                problems.append(f"{term} closeMatch: spec {_names(row.close)}, got {_names(close)}")
    assert not problems, "\n".join(problems)


def test_domains_and_ranges_follow_the_spec(ontology: Graph) -> None:
    problems = []
    for row in spec_rows():
        if row.is_class:
            continue
        for term in row.terms:
            for predicate, cell in ((RDFS.domain, row.domain), (RDFS.range, row.range)):
                wanted = single_class(cell)
                got = set(ontology.objects(term, predicate))
                if got != ({wanted} if wanted is not None else set()):
                    problems.append(f"{term} {predicate}: spec {cell!r} → {wanted}, got {got}")
    assert not problems, "\n".join(problems)


def test_property_kinds_follow_the_spec(ontology: Graph) -> None:
    problems = []
    for row in spec_rows():
        if row.is_class:
            continue
        statement_backed = "**StatementProperty**" in row.card
        for term in row.terms:
            kinds = set(ontology.objects(term, RDF.type))
            if "(annotation)" in row.notes:
                wanted = {OWL.AnnotationProperty}
            elif is_literal_range(row.range):
                wanted = {OWL.DatatypeProperty}
            else:
                wanted = {OWL.ObjectProperty}
            if statement_backed:
                wanted.add(STATEMENT_PROPERTY)
            if "symmetric" in row.notes:
                wanted.add(OWL.SymmetricProperty)
            if kinds != wanted:
                problems.append(f"{term}: spec wants {_names(wanted)}, typed {_names(kinds)}")
    assert not problems, "\n".join(problems)


def test_role_properties_carry_their_role(ontology: Graph) -> None:
    """A spec row naming one role gets that hk:role; one naming two (hk:creator) gets neither,
    because hk:role is 0..1 and the statement's subject decides author vs artist."""
    seen = 0
    for row in spec_rows():
        for term in row.terms:
            roles = set(ontology.objects(term, HK_ROLE))
            if len(row.roles) == 1:
                seen += 1
                assert roles == set(row.roles), term
            else:
                assert not roles, f"{term} has hk:role {roles} but the spec names {row.roles}"
    assert seen >= 3


# --- (c) alignment targets and labelled external terms exist in their vocabularies ----------------


def test_alignment_targets_exist(ontology: Graph, definitions: dict[str, frozenset[str]]) -> None:
    problems = []
    for predicate in ALIGNMENT_PREDICATES:
        for subject, target in ontology.subject_objects(predicate):
            if str(target).startswith(HK):
                continue
            ns = namespace_of(str(target), definitions)
            if ns is None or str(target) not in definitions[ns]:
                problems.append(f"{subject} {predicate} <{target}>: not in a vocabulary file")
    assert not problems, "\n".join(problems)


def test_external_labels_name_only_existing_terms(
    external_labels: Graph, definitions: dict[str, frozenset[str]]
) -> None:
    problems = []
    for subject in set(external_labels.subjects()):
        ns = namespace_of(str(subject), definitions)
        if ns is None or ns == HK or str(subject) not in definitions[ns]:
            problems.append(f"<{subject}> is not an external term defined by its vocabulary")
    assert not problems, "\n".join(problems)


def test_external_labels_are_only_labels(external_labels: Graph) -> None:
    for subject, predicate, obj in external_labels:
        assert predicate == RDFS.label, (subject, predicate)
        assert isinstance(obj, Literal) and obj.language in LANGUAGES, (subject, obj)
    for subject in set(external_labels.subjects()):
        labels = external_labels.objects(subject, RDFS.label)
        langs = sorted(str(o.language) for o in labels if isinstance(o, Literal))
        assert langs == sorted(LANGUAGES), f"{subject}: labels in {langs}"


def test_external_terms_of_the_spec_are_labelled(external_labels: Graph) -> None:
    """Every non-hk: property the spec's table lists (dcterms:title, geo:asWKT…) has labels."""
    text = _section(SPEC.read_text(encoding="utf-8"), "## Properties")
    wanted = {expand("rdfs:label"), expand("rdfs:comment")}
    for line in _table_lines(text):
        wanted |= {expand(c) for c in CURIE.findall(_cells(line)[0]) if not c.startswith("hk:")}
    labelled = {str(s) for s in external_labels.subjects()}
    missing = sorted(str(t) for t in wanted if str(t) not in labelled)
    assert not missing, f"no labels in ontology/external-labels.ttl for {missing}"


# --- (e) every vocabulary IRI used in ontology/ and data/ttl/ is defined --------------------------


def repository_turtle() -> list[Path]:
    files = sorted((ROOT / "ontology").rglob("*.ttl"))
    data = ROOT / "data" / "ttl"
    if data.is_dir():  # data/ may be empty or partial while it is being written
        files += sorted(data.rglob("*.ttl"))
    return files


def test_no_undefined_terms_in_the_repository(definitions: dict[str, frozenset[str]]) -> None:
    files = repository_turtle()
    assert ONTOLOGY in files
    found = undefined_terms(files, definitions)
    assert not found, "undefined terms (typos?):\n" + "\n".join(
        str(u).replace(str(ROOT) + "/", "") for u in found
    )


TYPO_FIXTURE = """\
@prefix hk: <https://w3id.org/heritage-kg/ontology#> .
@prefix crm: <http://www.cidoc-crm.org/cidoc-crm/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix sitetype: <https://w3id.org/heritage-kg/vocab/site-type/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/heritage-kg/id/site/example> a hk:HeritageSite ;
    hk:siteTyp sitetype:mosque ;
    crm:P2_has_type sitetype:mosque ;
    geo:hasGeometry [ geo:asWKT "POINT(46.75 39.76)"^^geo:wktLiterl ] ;
    <https://w3id.org/heritage-kg/ontology#locatedIN> <https://w3id.org/heritage-kg/id/place/x> ;
    hk:precisionMeters "5"^^xsd:decimall .
"""


def test_typos_are_reported_with_file_line_and_term(
    tmp_path: Path, definitions: dict[str, frozenset[str]]
) -> None:
    path = tmp_path / "typo.ttl"
    path.write_text(TYPO_FIXTURE, encoding="utf-8")
    found = undefined_terms([path], definitions)
    assert sorted(found, key=lambda u: u.line or 0) == [
        UndefinedTerm(path, HK + "siteTyp", 8),
        UndefinedTerm(path, PREFIXES["geo"] + "wktLiterl", 10),
        UndefinedTerm(path, HK + "locatedIN", 11),
        UndefinedTerm(path, PREFIXES["xsd"] + "decimall", 12),
    ]
    messages = [str(u) for u in found]
    assert f"{path}:8: <{HK}siteTyp> is not defined by its vocabulary" in messages


def test_a_clean_file_reports_nothing(
    tmp_path: Path, definitions: dict[str, frozenset[str]]
) -> None:
    fixed = (
        TYPO_FIXTURE.replace("siteTyp ", "siteType ")
        .replace("wktLiterl", "wktLiteral")
        .replace("locatedIN", "locatedIn")
        .replace("decimall", "decimal")
    )
    path = tmp_path / "clean.ttl"
    path.write_text(fixed, encoding="utf-8")
    assert undefined_terms([path], definitions) == []


def test_an_unparsable_file_is_an_error_with_its_position(
    tmp_path: Path, definitions: dict[str, frozenset[str]]
) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix hk: <https://w3id.org/heritage-kg/ontology#> .\nhk:a hk:b .\n")
    with pytest.raises(SourceFileError) as info:
        undefined_terms([path], definitions)
    assert info.value.path == path
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (HK + "siteType", HK),
        (PREFIXES["sitetype"] + "mosque", None),  # hkv: is a prefix, but the local part has a '/'
        (PREFIXES["hkv"] + "site-type", PREFIXES["hkv"]),
        (PREFIXES["crm"], None),  # the vocabulary's own IRI is not a term
        ("http://example.org/x", None),
    ],
)
def test_namespace_of(iri: str, expected: str | None) -> None:
    namespaces = [HK, PREFIXES["hkv"], PREFIXES["crm"]]
    assert namespace_of(iri, namespaces) == expected
