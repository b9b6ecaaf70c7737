"""A streaming JSON-LD writer that compacts with the project's `@context`, one node at a time.

pyoxigraph writes expanded JSON-LD (full IRIs, value objects everywhere, no `@context`), which is
correct but not what a partner opening the file wants to read. A full JSON-LD compaction needs the
whole document in memory; this writer needs only the quads of one subject, because its input (the
release's canonical N-Quads) is sorted by graph and subject. It implements the part of compaction
that the project's context uses — prefixes, `@type: @id` terms, typed-literal terms, `@language`
containers, type terms — and falls back to compact IRIs with explicit value objects everywhere
else, so every quad survives the round trip (tested with rdflib, graph by graph).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import IO, Any

import pyoxigraph as ox

__all__ = ["JsonLdCompactor", "write_jsonld"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_GEN_DELIMS = ("/", "#", ":", "?", "[", "]", "@")
_DELIMITER = re.compile(r"[/#:?\[\]@]")
_CACHE_SIZE = 1 << 16


@dataclass(slots=True)
class _Terms:
    """What the context lets us write for one property IRI."""

    iri_term: str | None = None  # "@type": "@id"
    language_term: str | None = None  # "@container": "@language"
    plain_term: str | None = None  # no coercion, no container
    typed_terms: dict[str, str] = field(default_factory=dict)  # datatype IRI -> term


_NO_TERMS = _Terms()


class JsonLdCompactor:
    """Compaction rules derived once from a JSON-LD context object (the value of `@context`)."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context
        self._prefixes: list[tuple[str, str]] = []
        for key, value in context.items():
            if key.startswith("@") or not isinstance(value, str) or value.startswith("@"):
                continue
            if value.endswith(_GEN_DELIMS) and ":" not in key:
                self._prefixes.append((key, value))
        self._by_namespace: dict[str, list[str]] = {}
        for prefix, namespace in self._prefixes:
            self._by_namespace.setdefault(namespace, []).append(prefix)
        self._compacted: dict[str, str] = {}
        self._plans: dict[str, tuple[_Terms, str]] = {}
        self._type_terms: dict[str, str] = {}
        self._properties: dict[str, _Terms] = {}
        for key, value in sorted(context.items()):
            if key.startswith("@") or ":" in key:
                continue
            definition = {"@id": value} if isinstance(value, str) else value
            if not isinstance(definition, dict) or not isinstance(definition.get("@id"), str):
                continue
            iri = self.expand(definition["@id"])
            if iri.endswith(_GEN_DELIMS) or iri.startswith("@"):
                continue
            if isinstance(value, str):
                self._type_terms.setdefault(iri, key)
            terms = self._properties.setdefault(iri, _Terms())
            coercion, container = definition.get("@type"), definition.get("@container")
            if container == "@language" and coercion is None:
                terms.language_term = terms.language_term or key
            elif container is not None:
                continue
            elif coercion == "@id":
                terms.iri_term = terms.iri_term or key
            elif isinstance(coercion, str):
                terms.typed_terms.setdefault(self.expand(coercion), key)
            else:
                terms.plain_term = terms.plain_term or key

    def expand(self, value: str) -> str:
        """Expand a compact IRI or term IRI written in the context itself."""
        prefix, sep, suffix = value.partition(":")
        if sep and not suffix.startswith("//"):
            target = self.context.get(prefix)
            if isinstance(target, str):
                return target + suffix
        return value

    def compact_iri(self, iri: str) -> str:
        """The shortest `prefix:suffix` for an IRI, or the IRI itself.

        Every namespace ends with a gen-delim, so only the IRI's cuts after a gen-delim can be
        namespaces: a few dictionary look-ups per IRI instead of a scan of every prefix (this is
        the release's hottest function), and the answers for repeated IRIs — predicates, types,
        vocabulary terms — are cached.
        """
        known = self._compacted.get(iri)
        if known is not None:
            return known
        best = iri
        for match in _DELIMITER.finditer(iri):
            cut = match.end()
            suffix = iri[cut:]
            if not suffix or suffix.startswith("//"):
                continue
            for prefix in self._by_namespace.get(iri[:cut], ()):
                candidate = f"{prefix}:{suffix}"
                if (len(candidate), candidate) < (len(best), best):
                    best = candidate
        if len(self._compacted) >= _CACHE_SIZE:
            self._compacted.clear()
        self._compacted[iri] = best
        return best

    def node_ref(self, term: ox.NamedNode | ox.BlankNode) -> str:
        """How a node is referred to: `_:label` or its compact IRI."""
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value
        return self.compact_iri(term.value)

    def _type_value(self, iri: str) -> str:
        return self._type_terms.get(iri) or self.compact_iri(iri)

    def _plan(self, predicate: str) -> tuple[_Terms, str]:
        """What the context allows for a property, and its compact key (cached per IRI)."""
        plan = self._plans.get(predicate)
        if plan is None:
            plan = (self._properties.get(predicate) or _NO_TERMS, self.compact_iri(predicate))
            self._plans[predicate] = plan
        return plan

    def node(
        self, subject: ox.NamedNode | ox.BlankNode, quads: Iterable[ox.Quad]
    ) -> dict[str, Any]:
        """The compacted node object of one subject's quads (of one graph)."""
        result: dict[str, Any] = {"id": self.node_ref(subject)}
        types: list[str] = []
        values: dict[str, list[Any]] = {}
        languages: dict[str, dict[str, list[str]]] = {}
        for quad in quads:
            predicate, obj = quad.predicate.value, quad.object
            kind = type(obj)
            if kind is ox.NamedNode and predicate == _RDF_TYPE:
                types.append(self._type_value(obj.value))  # type: ignore[union-attr]
                continue
            terms, key = self._plan(predicate)
            if kind is ox.NamedNode or kind is ox.BlankNode:
                ref = self.node_ref(obj)  # type: ignore[arg-type]
                if terms.iri_term:
                    values.setdefault(terms.iri_term, []).append(ref)
                else:
                    values.setdefault(key, []).append({"@id": ref})
            elif kind is ox.Literal:
                language = obj.language  # type: ignore[union-attr]
                value = obj.value  # type: ignore[union-attr]
                if language and terms.language_term:
                    by_language = languages.setdefault(terms.language_term, {})
                    by_language.setdefault(language, []).append(value)
                    continue
                if language:
                    item: Any = {"@value": value, "@language": language}
                    values.setdefault(terms.plain_term or key, []).append(item)
                    continue
                datatype = obj.datatype.value  # type: ignore[union-attr]
                if datatype in terms.typed_terms:
                    values.setdefault(terms.typed_terms[datatype], []).append(value)
                elif datatype == _XSD_STRING:
                    values.setdefault(terms.plain_term or key, []).append(value)
                else:
                    item = {"@value": value, "@type": self.compact_iri(datatype)}
                    values.setdefault(terms.plain_term or key, []).append(item)
            else:  # pragma: no cover - RDF-star triples are not used by kg
                raise TypeError(f"cannot write {obj!r} as JSON-LD")
        if types:
            result["type"] = sorted(types) if len(types) > 1 else types[0]
        for key, langs in languages.items():
            language_map = {
                lang: (v[0] if len(v) == 1 else sorted(v)) for lang, v in sorted(langs.items())
            }
            values.setdefault(key, []).append(language_map)
        for key in sorted(values):
            items = values[key]
            if len(items) == 1:
                result[key] = items[0]
            else:
                result[key] = items
        return result


def _graph_key(quad: ox.Quad) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
    return quad.graph_name


def write_jsonld(
    quads: Iterator[ox.Quad], output: IO[str], *, compactor: JsonLdCompactor
) -> None:
    """Write `quads` (sorted by graph, then subject) as one compacted JSON-LD document.

    Named graphs become `{"id": g, "@graph": [...]}` objects; each subject becomes one node object.
    The context is written inline, so no reader has to fetch it.
    """
    output.write('{"@context": ')
    output.write(json.dumps(compactor.context, ensure_ascii=False))
    output.write(',\n"@graph": [')
    first_graph = True
    for graph_key, graph_quads in groupby(quads, key=_graph_key):
        nodes = (
            compactor.node(subject, subject_quads)
            for subject, subject_quads in groupby(graph_quads, key=lambda q: q.subject)
        )
        if not first_graph:
            output.write(",")
        first_graph = False
        if isinstance(graph_key, ox.NamedNode | ox.BlankNode):
            output.write('\n{"id": ' + json.dumps(compactor.node_ref(graph_key)))
            output.write(', "@graph": [')
            _write_nodes(nodes, output, indent="\n  ")
            output.write("\n]}")
        else:
            _write_nodes(nodes, output, indent="\n")
    output.write("\n]}\n")


def _write_nodes(nodes: Iterator[dict[str, Any]], output: IO[str], *, indent: str) -> None:
    for index, node in enumerate(nodes):
        if index:
            output.write(",")
        output.write(indent)
        output.write(json.dumps(node, ensure_ascii=False))
