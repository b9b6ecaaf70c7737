"""A tiny Turtle writer that counts the triples it writes.

The generator builds each entity as a `Node` (predicate → objects, objects being already-written
Turtle terms or nested blank nodes) and renders it straight to text. Counting while rendering is
what lets `kg synth` report exact triple counts without parsing its own output, and writing text
directly (no rdflib graph) is what makes a million triples take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.namespaces import PREFIXES

__all__ = ["Node", "TurtleFile", "date", "iri", "lang", "plain", "typed"]

# The prefixes every synthetic file declares (a subset of the canonical table, same bindings).
_USED_PREFIXES = (
    "hk", "site", "object", "work", "place", "name", "person", "org", "source", "media", "event",
    "stmt", "sitetype", "objecttype", "worktype", "placetype", "eventtype", "sourcetype",
    "nametype", "role", "certainty", "rank", "condition", "verification", "calendar", "rdf",
    "rdfs", "xsd", "dcterms", "prov", "geo",
)
_HEADER = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in _USED_PREFIXES)


def _escape(text: str) -> str:
    """Escape a string for a Turtle "…" literal (the generator's alphabets rarely need it)."""
    if "\\" in text or '"' in text or "\n" in text:
        return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return text


def plain(text: str) -> str:
    """An xsd:string literal."""
    return f'"{_escape(text)}"'


def lang(text: str, tag: str) -> str:
    """A language-tagged literal."""
    return f'"{_escape(text)}"@{tag}'


def typed(text: str, datatype: str) -> str:
    """A typed literal; `datatype` is a prefixed name such as xsd:gYear."""
    return f'"{_escape(text)}"^^{datatype}'


def date(year: int, month: int, day: int) -> str:
    """An xsd:date literal."""
    return f'"{year:04d}-{month:02d}-{day:02d}"^^xsd:date'


def iri(value: str) -> str:
    """A full IRI term."""
    return f"<{value}>"


@dataclass(slots=True)
class Node:
    """The description of one subject or blank node: (predicate, objects) pairs in order."""

    props: list[tuple[str, list[str | Node]]] = field(default_factory=list)

    def add(self, predicate: str, *objects: str | Node) -> Node:
        """Add `predicate` with one or more objects (nothing is added for no objects)."""
        if objects:
            self.props.append((predicate, list(objects)))
        return self

    def drop(self, predicate: str) -> Node:
        """Remove every value of `predicate` (used to plant deliberate violations)."""
        self.props = [(p, o) for p, o in self.props if p != predicate]
        return self

    def render(self, out: list[str], indent: str) -> int:
        """Append the predicate-object list to `out`; return the number of triples written."""
        count = 0
        parts = []
        for predicate, objects in self.props:
            terms = []
            for obj in objects:
                if isinstance(obj, Node):
                    inner: list[str] = []
                    count += obj.render(inner, indent + "    ")
                    terms.append("[ " + "".join(inner) + " ]")
                else:
                    terms.append(obj)
                count += 1
            parts.append(f"{predicate} " + " , ".join(terms))
        out.append(f" ;\n{indent}".join(parts))
        return count


@dataclass(slots=True)
class TurtleFile:
    """One output file: a comment, the prefixes, then subjects in the order they were added."""

    comment: str
    chunks: list[str] = field(default_factory=list)
    triples: int = 0

    def subject(self, term: str, node: Node) -> None:
        """Write `term` described by `node`."""
        out = [f"\n{term} "]
        self.triples += node.render(out, "    ")
        out.append(" .\n")
        self.chunks.append("".join(out))

    def text(self) -> str:
        """The whole file."""
        return f"# {self.comment}\n{_HEADER}" + "".join(self.chunks)
