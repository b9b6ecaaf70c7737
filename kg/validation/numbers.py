"""Bare decimals and doubles after a native load: put back the lexical forms the file wrote.

A Turtle file's `100.0` is an xsd:decimal that Oxigraph stores as `100`, while rdflib (and so
pyshacl) keeps `100.0`. Half the synthetic files carry such a number, and sending each through
the Python road (`kg.validation.union`) cost a third of a cold run. Instead the file is loaded
natively and each canonicalised number is replaced by the wrapped literal the Python road would
have stored — when, and only when, the written form is provably known:

- every DECIMAL or DOUBLE token of a Turtle file consists only of the characters
  `0-9 . e E + -`, so it is a substring of a maximal run of those characters in the bytes; all
  substrings of all such runs that match the token grammar are the *candidates* (a superset of the
  real tokens: strings, comments and names add more, never fewer);
- Oxigraph itself gives each candidate's canonical form (by loading them into a scratch store);
- a stored number whose (datatype, canonical form) is shared by exactly one candidate spelling
  was written that way. Two spellings of one value (`1.0` and `1.00`, also in a string or comment)
  make the file ambiguous, and it takes the Python road — which also covers two written values
  Oxigraph merged into one triple, since both spellings are then candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox

from kg.validation.terms import WRAPPED, XSD

__all__ = ["WrittenNumbers", "candidates"]

_RUN = re.compile(rb"[0-9.eE+\-]+")
_TOKEN = re.compile(
    r"[+-]?(?:[0-9]*\.[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+)"
)
_LONGEST_RUN = 64  # longer runs (rulers of dashes, long numbers): not worth the quadratic search
_NUMBER_TYPES = frozenset({f"{XSD}decimal", f"{XSD}double"})


def candidates(data: bytes) -> set[str] | None:
    """Every substring of the file that could be a DECIMAL or DOUBLE token (None: gave up)."""
    out: set[str] = set()
    for run in set(_RUN.findall(data)):
        if b"." not in run and b"e" not in run and b"E" not in run:
            continue
        if len(run) > _LONGEST_RUN:
            return None
        out |= _tokens_in(run)
    return out


@lru_cache(maxsize=1 << 16)
def _tokens_in(run: bytes) -> frozenset[str]:
    """The substrings of one run that match the token grammar (runs repeat across files)."""
    text = run.decode("ascii")
    ends = [i + 1 for i, char in enumerate(text) if char.isdigit()]  # tokens end in a digit
    found = set()
    for start, char in enumerate(text):
        if char in "eE":
            continue
        for end in ends:
            if end > start + 1 and _TOKEN.fullmatch(text, start, end):
                found.add(text[start:end])
    return frozenset(found)


class WrittenNumbers:
    """Canonical forms of candidate tokens, computed by Oxigraph in one scratch load."""

    def __init__(self, tokens: Iterable[str]) -> None:
        ordered = sorted(set(tokens))
        scratch = ox.Store()
        document = "".join(f"<urn:n:{i}> <urn:n> {t} .\n" for i, t in enumerate(ordered))
        scratch.load(document.encode("ascii"), ox.RdfFormat.TURTLE)
        self._canonical: dict[str, tuple[str, str]] = {}
        for quad in scratch:
            literal = quad.object
            assert isinstance(literal, ox.Literal)
            token = ordered[int(quad.subject.value.removeprefix("urn:n:"))]
            self._canonical[token] = (literal.datatype.value, literal.value)

    def index(self, tokens: set[str]) -> dict[tuple[str, str], set[str]]:
        """One file's candidates by (datatype, canonical form)."""
        out: dict[tuple[str, str], set[str]] = {}
        for token in tokens:
            key = self._canonical.get(token)
            if key is not None:
                out.setdefault(key, set()).add(token)
        return out

    @staticmethod
    def written(
        stored: ox.Literal, index: dict[tuple[str, str], set[str]]
    ) -> ox.Literal | None:
        """The wrapped literal for a stored number, or None if its spelling is not certain."""
        datatype = stored.datatype.value
        if datatype not in _NUMBER_TYPES:
            return None
        spellings = index.get((datatype, stored.value), set())
        if len(spellings) != 1:
            return None
        return ox.Literal(next(iter(spellings)), datatype=ox.NamedNode(WRAPPED + datatype))
