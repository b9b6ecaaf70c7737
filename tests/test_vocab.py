"""The SKOS concept schemes in ontology/vocab/ are tested like code.

Shapes, data and the web pages rely on the schemes behaving as the spec says: every concept sits
in exactly one scheme (the one its IRI names), carries one English, Azerbaijani and Russian label,
and a definition; the hierarchy is a proper tree of top concepts and `skos:broader` links; every
concept `docs/spec.md` lets the data use exists; and every mapping points at a term that really
exists in the shared standard vocabularies — so nobody can slip in an invented identifier.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.namespaces import PREFIXES, VOCAB_BASE

ROOT = Path(__file__).resolve().parents[1]
VOCAB_DIR = ROOT / "ontology" / "vocab"
SPEC = ROOT / "docs" / "spec.md"
SHARED_VOCABULARIES = Path(__file__).parents[1] / ".." / "shared" / "vocabularies"

SCHEMES = (
    "site-type",
    "object-type",
    "work-type",
    "place-type",
    "event-type",
    "source-type",
    "name-type",
    "role",
    "certainty",
    "rank",
    "condition",
    "verification",
    "calendar",
)
REQUIRED_LANGS = ("en", "az", "ru")
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
MAPPINGS = (SKOS.closeMatch, SKOS.exactMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
LOCAL_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Azerbaijani Latin alphabet (with the letters loanwords keep out of it: no w, ä, ñ…) plus the
# punctuation labels need. Catches Turkish/Cyrillic slips such as "w" or "Азербайджан" in @az.
AZ_LETTERS = "abcçdeəfgğhx\u0131ijkqlmnoöprsştuüvyz"  # \u0131: dotless i
AZ_CAPITALS = AZ_LETTERS.upper() + "\u0130"  # upper() maps both i and dotless i to I; add İ
AZ_LABEL = re.compile(f"^[{AZ_LETTERS}{AZ_CAPITALS}0-9 ()',.-]+$")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN_LOWER = re.compile(r"[a-z]")
SCRIPT_OF_LANG = {
    "hy": re.compile(r"^[\u0531-\u058F ()-]+$"),
    "fa": re.compile(r"^[\u0600-\u06FF\u200C ()-]+$"),
}


def _scheme_iri(name: str) -> URIRef:
    return URIRef(VOCAB_BASE + name)


@cache
def _graph(name: str) -> Graph:
    """One scheme file, parsed once per test session."""
    return Graph().parse(VOCAB_DIR / f"{name}.ttl", format="turtle")


@cache
def _all_vocab() -> Graph:
    union = Graph()
    for name in SCHEMES:
        union += _graph(name)
    return union


def _concepts(graph: Graph) -> list[URIRef]:
    return sorted(c for c in graph.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef))


def _literals(graph: Graph, subject: URIRef, predicate: URIRef) -> list[Literal]:
    return [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]


def _labels_by_lang(graph: Graph, subject: URIRef, predicate: URIRef) -> Counter[str | None]:
    return Counter(lit.language for lit in _literals(graph, subject, predicate))


def _spec_concepts(text: str) -> dict[str, list[str]]:
    """Parse the bullet list under "Concepts the data may use" into {scheme: [local names]}.

    Bullets may wrap onto indented continuation lines; a parenthesis after a name is a gloss,
    e.g. "listing (legal protection)".
    """
    match = re.search(r"^## Concepts the data may use.*?$(.*?)^## ", text, re.M | re.S)
    if match is None:
        raise AssertionError("docs/spec.md has no 'Concepts the data may use' section")
    bullets: list[str] = []
    for line in match.group(1).splitlines():
        if line.startswith("- "):
            bullets.append(line[2:])
        elif line.strip() and bullets:
            bullets[-1] += " " + line.strip()
    result: dict[str, list[str]] = {}
    for bullet in bullets:
        scheme, _, items = bullet.partition(":")
        names = [re.sub(r"\(.*?\)", "", item).strip() for item in items.split(",")]
        result[scheme.strip()] = [n for n in names if n]
    return result


def _spec_pairs() -> Iterator[tuple[str, str]]:
    for scheme, names in _spec_concepts(SPEC.read_text(encoding="utf-8")).items():
        for name in names:
            yield scheme, name


@cache
def _shared_terms() -> frozenset[URIRef]:
    """Every IRI described (as a subject) in the shared standard vocabularies."""
    terms: set[URIRef] = set()
    for path in sorted(SHARED_VOCABULARIES.rglob("*")):
        if path.suffix not in {".ttl", ".rdf"}:
            continue
        graph = Graph().parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
        terms.update(s for s in graph.subjects() if isinstance(s, URIRef))
    return frozenset(terms)


def test_folder_holds_exactly_one_file_per_scheme() -> None:
    found = sorted(p.stem for p in VOCAB_DIR.glob("*.ttl"))
    assert found == sorted(SCHEMES), "ontology/vocab/ must hold one <scheme>.ttl per scheme"


@pytest.mark.parametrize("name", SCHEMES)
def test_file_parses_and_declares_its_scheme(name: str) -> None:
    graph = _graph(name)
    scheme = _scheme_iri(name)
    assert list(graph.subjects(RDF.type, SKOS.ConceptScheme)) == [scheme]
    langs = _labels_by_lang(graph, scheme, SKOS.prefLabel)
    for lang in REQUIRED_LANGS:
        assert langs[lang] == 1, f"{name}: scheme needs exactly one skos:prefLabel @{lang}"
    assert _labels_by_lang(graph, scheme, SKOS.definition)["en"] == 1
    assert list(graph.objects(scheme, DCTERMS.license)) == [CC_BY_4]


@pytest.mark.parametrize("name", SCHEMES)
def test_file_binds_canonical_prefixes_only(name: str) -> None:
    text = (VOCAB_DIR / f"{name}.ttl").read_text(encoding="utf-8")
    for prefix, iri in re.findall(r"^@prefix\s+([\w-]*):\s*<([^>]*)>", text, re.M):
        assert PREFIXES.get(prefix) == iri, f"{name}.ttl binds {prefix}: to <{iri}>"


@pytest.mark.parametrize("name", SCHEMES)
def test_every_concept_is_in_exactly_the_scheme_its_iri_names(name: str) -> None:
    graph = _graph(name)
    concepts = _concepts(graph)
    assert concepts, f"{name}.ttl defines no concepts"
    namespace = f"{VOCAB_BASE}{name}/"
    for concept in concepts:
        assert concept.startswith(namespace), f"{concept} is not in {namespace}"
        assert LOCAL_NAME.match(concept[len(namespace) :]), f"{concept}: bad local name"
        schemes = list(_all_vocab().objects(concept, SKOS.inScheme))
        assert schemes == [_scheme_iri(name)], f"{concept} is in schemes {schemes}"
    # Nothing in this file describes a concept of another scheme.
    for subject in set(graph.subjects()):
        assert subject == _scheme_iri(name) or str(subject).startswith(namespace), subject


@pytest.mark.parametrize("name", SCHEMES)
def test_labels_and_definitions(name: str) -> None:
    graph = _graph(name)
    seen: dict[str, dict[str, URIRef]] = {lang: {} for lang in REQUIRED_LANGS}
    for concept in _concepts(graph):
        langs = _labels_by_lang(graph, concept, SKOS.prefLabel)
        assert all(n == 1 for n in langs.values()), f"{concept}: two prefLabels in one language"
        assert None not in langs, f"{concept}: prefLabel without a language tag"
        for lang in REQUIRED_LANGS:
            assert langs[lang] == 1, f"{concept}: needs a skos:prefLabel @{lang}"
        for label in _literals(graph, concept, SKOS.prefLabel):
            lang = label.language or ""
            if lang in seen:
                other = seen[lang].setdefault(str(label), concept)
                assert other == concept, f'"{label}"@{lang} labels both {other} and {concept}'
        alt = set(_literals(graph, concept, SKOS.altLabel))
        assert not alt & set(_literals(graph, concept, SKOS.prefLabel)), (
            f"{concept}: a label cannot be both preferred and alternative (SKOS S13)"
        )
        assert all(lit.language for lit in alt), f"{concept}: altLabel without a language tag"
        defs = _labels_by_lang(graph, concept, SKOS.definition)
        assert defs["en"] == 1, f"{concept}: needs exactly one skos:definition @en"
        assert all(n == 1 for n in defs.values()), f"{concept}: two definitions in one language"


@pytest.mark.parametrize("name", SCHEMES)
def test_labels_are_in_the_right_script(name: str) -> None:
    graph = _graph(name)
    for concept in [_scheme_iri(name), *_concepts(graph)]:
        for label in _literals(graph, concept, SKOS.prefLabel):
            text, lang = str(label), label.language
            if lang == "az":
                assert AZ_LABEL.match(text), f'{concept}: "{text}"@az is not Azerbaijani Latin'
            elif lang == "ru":
                assert CYRILLIC.search(text), f'{concept}: "{text}"@ru has no Cyrillic'
                assert not LATIN_LOWER.search(text), f'{concept}: "{text}"@ru mixes in Latin'
            elif lang in SCRIPT_OF_LANG:
                assert SCRIPT_OF_LANG[lang].match(text), f'{concept}: "{text}"@{lang} script'


@pytest.mark.parametrize("name", SCHEMES)
def test_top_concepts_and_broader_are_consistent(name: str) -> None:
    graph = _graph(name)
    scheme = _scheme_iri(name)
    has_top = set(graph.objects(scheme, SKOS.hasTopConcept))
    top_of = set(graph.subjects(SKOS.topConceptOf, scheme))
    assert has_top == top_of, f"{name}: hasTopConcept and topConceptOf disagree"
    assert set(graph.subject_objects(SKOS.topConceptOf)) <= {(c, scheme) for c in top_of}
    concepts = set(_concepts(graph))
    assert has_top, f"{name}: no top concepts"
    for concept in concepts:
        broader = set(graph.objects(concept, SKOS.broader))
        assert broader <= concepts, f"{concept}: broader concept outside its scheme"
        is_top = concept in top_of
        assert is_top != bool(broader), f"{concept}: must be a top concept xor have skos:broader"


@pytest.mark.parametrize("name", SCHEMES)
def test_no_broader_cycles(name: str) -> None:
    graph = _graph(name)
    for start in _concepts(graph):
        frontier = list(graph.objects(start, SKOS.broader))
        visited: set[object] = set()
        while frontier:
            node = frontier.pop()
            assert node != start, f"skos:broader cycle through {start}"
            if node not in visited:
                visited.add(node)
                frontier.extend(graph.objects(node, SKOS.broader))


def test_spec_section_is_parsed() -> None:
    """Guards the next test: a parser that found nothing would make it pass vacuously."""
    parsed = _spec_concepts(SPEC.read_text(encoding="utf-8"))
    assert sorted(parsed) == sorted(SCHEMES)
    assert all(parsed.values())
    assert "listing" in parsed["event-type"]
    assert "gate" in parsed["site-type"]  # the last name on a wrapped line


@pytest.mark.parametrize(("scheme", "local"), list(_spec_pairs()))
def test_every_spec_concept_exists(scheme: str, local: str) -> None:
    concept = URIRef(f"{VOCAB_BASE}{scheme}/{local}")
    assert (concept, RDF.type, SKOS.Concept) in _graph(scheme), (
        f"docs/spec.md lets data use {scheme}/{local}; add it to ontology/vocab/{scheme}.ttl"
    )


def test_mapping_targets_exist_in_shared_vocabularies() -> None:
    terms = _shared_terms()
    assert len(terms) > 1000, f"shared vocabularies not found under {SHARED_VOCABULARIES}"
    vocab = _all_vocab()
    mappings = [(s, p, o) for p in MAPPINGS for s, o in vocab.subject_objects(p)]
    assert mappings, "no mappings at all: expected at least the CIDOC-CRM event matches"
    missing = [f"{s} {p} {o}" for s, p, o in mappings if o not in terms]
    assert not missing, "mapping targets not in ../shared/vocabularies:\n" + "\n".join(missing)


def test_deprecated_rank_definition_states_the_truthy_rule() -> None:
    rank = _graph("rank")
    deprecated = URIRef(VOCAB_BASE + "rank/deprecated")
    (definition,) = [d for d in _literals(rank, deprecated, SKOS.definition) if d.language == "en"]
    assert "kept" in definition and "never produce truthy triples" in definition
