"""Where is a node written? A small Turtle tokenizer that records source positions.

No SHACL engine (and no RDF parser we use) reports where a triple came from, but a maintainer needs
`file:line:column` to fix a violation. This module reads the Turtle text a second time — tracking
prefixes, subjects and `[`/`(` nesting, skipping comments and the contents of (long) strings — and
records:

- for every IRI written as a subject: the position of its first subject occurrence;
- for every IRI written only as an object: the position of its first occurrence (a fallback);
- for every blank node: the position of the `[` (or `(`) that opens it, or of its `_:label`.

Blank nodes have no names that survive parsing, so they are identified by a *structural key* that
both sides can compute: `("top", n)` for the n-th blank node written as a subject with no parent,
`(parent_key, predicate, n)` for the n-th blank-node object of `(parent, predicate)`, and
`("label", name)` for `_:name`. `blank_node_keys` computes the same keys from the parser's triples
(in document order), which is what ties a blank node in the graph back to its `[`.

Positions are 1-based (line, column), columns counted in characters, as editors show them.
The file is assumed to have parsed already (pyoxigraph is the judge of syntax); on text this
tokenizer does not understand it stops and keeps what it has found so far.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import urljoin

import pyoxigraph as ox

__all__ = [
    "BlankKey",
    "Position",
    "SourcePositions",
    "blank_node_keys",
    "locate_text",
]

Position: TypeAlias = tuple[int, int]
# ("iri", iri) | ("label", name) | ("top", n) | (parent_key, predicate_iri, n)
BlankKey: TypeAlias = tuple[object, ...]

RDF_FIRST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_PLX = rf"(?:%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})"
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<lstring>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
  | (?P<dtype>\^\^)
  | (?P<at>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<bnode>_:[\w](?:[\w.\-]*[\w\-])?)
  | (?P<number>[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+
                       |[0-9]*\.[0-9]+|[0-9]+))
  | (?P<pname>(?:[^\W\d_](?:[\w.\-]*[\w\-])?)?:(?:(?:[\w:]|"""
    + _PLX
    + r""")(?:(?:[\w.:\-]|"""
    + _PLX
    + r""")*(?:[\w:\-]|"""
    + _PLX
    + r"""))?)?)
  | (?P<word>[A-Za-z]+)
  | (?P<punct>[\[\]().,;])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)")


@dataclass(slots=True)
class SourcePositions:
    """Positions found in one Turtle file (see the module docstring for what each map holds)."""

    subjects: dict[str, Position] = field(default_factory=dict)
    objects: dict[str, Position] = field(default_factory=dict)
    blanks: dict[BlankKey, Position] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    offset: int


class _Stop(Exception):
    """Raised on text the tokenizer does not understand; the positions found so far are kept."""


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        kind = match.lastgroup or ""
        if kind != "ws":
            found.append(_Token(kind, match.group(), pos))
        pos = match.end()
    return found


class _Reader:
    """A recursive-descent walk over the Turtle grammar that records positions, not triples."""

    def __init__(self, text: str, base: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.prefixes: dict[str, str] = {}
        self.base = base
        self.line_starts = [0, *(m.end() for m in re.finditer(r"\r\n|\n|\r", text))]
        self.out = SourcePositions()
        self.ordinals: dict[tuple[object, str], int] = {}
        self.tops = 0

    # -- helpers -------------------------------------------------------------------------------
    def position(self, token: _Token) -> Position:
        line = bisect.bisect_right(self.line_starts, token.offset)
        return line, token.offset - self.line_starts[line - 1] + 1

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def peek_text(self) -> str | None:
        token = self.peek()
        return None if token is None else token.text

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _Stop
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        if self.next().text != text:
            raise _Stop

    def iri(self, token: _Token) -> str:
        if token.kind == "iri":
            value = token.text[1:-1]
            if ":" not in value.split("/", 1)[0] and self.base:
                return _join(self.base, value)
            return value
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix not in self.prefixes:
                raise _Stop
            return self.prefixes[prefix] + _ESCAPE.sub(r"\1", local)
        if token.kind == "word" and token.text == "a":
            return RDF_TYPE
        raise _Stop

    def child_key(self, parent: BlankKey, predicate: str) -> BlankKey:
        n = self.ordinals.get((parent, predicate), 0)
        self.ordinals[(parent, predicate)] = n + 1
        return (parent, predicate, n)

    # -- grammar -------------------------------------------------------------------------------
    def document(self) -> SourcePositions:
        try:
            while self.peek() is not None:
                self.statement()
        except _Stop:
            pass
        return self.out

    def statement(self) -> None:
        token = self.next()
        lowered = token.text.lower()
        if (token.kind == "at" and lowered in ("@prefix", "@base")) or (
            token.kind == "word" and lowered in ("prefix", "base")
        ):
            if lowered.endswith("prefix"):
                name = self.next()
                self.prefixes[name.text[:-1]] = self.iri(self.next())
            else:
                self.base = self.iri(self.next())
            if token.kind == "at":
                self.expect(".")
            return
        if token.text == "[":
            key: BlankKey = ("top", self.tops)
            self.tops += 1
            self.out.blanks.setdefault(key, self.position(token))
            if self.peek_text() != "]":
                self.predicate_objects(key)
            self.expect("]")
            if self.peek_text() != ".":
                self.predicate_objects(key)
        else:
            subject = self.subject(token)
            self.predicate_objects(subject)
        self.expect(".")

    def subject(self, token: _Token) -> BlankKey:
        if token.kind == "bnode":
            label = token.text[2:]
            self.out.labels.add(label)
            self.out.blanks.setdefault(("label", label), self.position(token))
            return ("label", label)
        if token.text == "(":
            key: BlankKey = ("top", self.tops)
            self.tops += 1
            self.collection(key, token)
            return key
        iri = self.iri(token)
        self.out.subjects.setdefault(iri, self.position(token))
        return ("iri", iri)

    def predicate_objects(self, subject: BlankKey) -> None:
        while True:
            predicate = self.iri(self.next())
            self.objects(subject, predicate)
            while self.peek_text() == ",":
                self.next()
                self.objects(subject, predicate)
            while self.peek_text() == ";":
                self.next()
            token = self.peek()
            if token is None or token.text in (".", "]"):
                return

    def objects(self, subject: BlankKey, predicate: str) -> None:
        self.object(self.next(), subject, predicate)

    def object(self, token: _Token, parent: BlankKey, predicate: str) -> None:
        if token.text == "[":
            key = self.child_key(parent, predicate)
            self.out.blanks.setdefault(key, self.position(token))
            if self.peek_text() != "]":
                self.predicate_objects(key)
            self.expect("]")
        elif token.text == "(":
            if self.peek_text() == ")":
                self.next()  # () is rdf:nil, not a blank node
                return
            self.collection(self.child_key(parent, predicate), token)
        elif token.kind == "bnode":
            label = token.text[2:]
            self.out.labels.add(label)
            self.out.blanks.setdefault(("label", label), self.position(token))
        elif token.kind in ("string", "lstring"):
            following = self.peek()
            if following is not None and following.kind == "at":
                self.next()
            elif following is not None and following.kind == "dtype":
                self.next()
                self.iri(self.next())
        elif token.kind == "number" or (token.kind == "word" and token.text in ("true", "false")):
            return
        else:
            self.out.objects.setdefault(self.iri(token), self.position(token))

    def collection(self, head: BlankKey, opening: _Token) -> None:
        """Record the list nodes of `( … )`: the head at `(`, each further node at its item."""
        self.out.blanks.setdefault(head, self.position(opening))
        node = head
        first = True
        while True:
            token = self.next()
            if token.text == ")":
                return
            if not first:
                node = self.child_key(node, RDF_REST)
                self.out.blanks.setdefault(node, self.position(token))
            first = False
            self.object(token, node, RDF_FIRST)


def _join(base: str, relative: str) -> str:
    return urljoin(base, relative)


def locate_text(text: str, *, base: str = "") -> SourcePositions:
    """Positions of the subjects, objects and blank nodes written in one Turtle document."""
    return _Reader(text, base).document()


def blank_node_keys(triples: Iterable[ox.Triple], *, labels: set[str]) -> dict[str, BlankKey]:
    """Structural keys of the blank nodes in `triples`, given in the parser's document order.

    Returns parser blank-node label → key; a label in `labels` was written as `_:label` in the
    source (pyoxigraph keeps such labels). The keys match those `locate_text` gives the same nodes.
    """
    edge: dict[str, tuple[ox.NamedNode | ox.BlankNode, str, int]] = {}
    order: list[str] = []
    seen: set[str] = set()
    ordinals: dict[tuple[str, str], int] = {}
    for triple in triples:
        subject, obj = triple.subject, triple.object
        for node in (subject, obj):
            if isinstance(node, ox.BlankNode) and node.value not in seen:
                seen.add(node.value)
                order.append(node.value)
        if isinstance(obj, ox.BlankNode) and obj.value not in labels and obj.value not in edge:
            assert isinstance(subject, ox.NamedNode | ox.BlankNode)
            slot = (str(subject), triple.predicate.value)
            n = ordinals.get(slot, 0)
            ordinals[slot] = n + 1
            edge[obj.value] = (subject, triple.predicate.value, n)
    keys: dict[str, BlankKey] = {}
    tops = 0
    for name in order:
        if name not in labels and name not in edge:
            keys[name] = ("top", tops)
            tops += 1

    def key_of(node: ox.NamedNode | ox.BlankNode) -> BlankKey:
        if isinstance(node, ox.NamedNode):
            return ("iri", node.value)
        if node.value in labels:
            return ("label", node.value)
        found = keys.get(node.value)
        if found is None:
            parent, predicate, n = edge[node.value]
            found = (key_of(parent), predicate, n)
            keys[node.value] = found
        return found

    for name in order:
        key_of(ox.BlankNode(name))
    return keys
