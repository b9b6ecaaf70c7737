"""Refusing what a public endpoint must not run: SERVICE and LOAD off the allowlist, huge texts.

pyoxigraph always honours `SERVICE <iri>` (federation) and `LOAD <iri>` by making an HTTP request
from the server, and the switch that turns that off is not exposed to Python — so an open
endpoint would be a server-side request forgery hole. The guard therefore reads the text before
it is evaluated and refuses every SERVICE or LOAD whose target is not under an IRI prefix of
`Settings.federation_allowlist`.

Why a lexer and not a full parser: the keywords can only appear as bare words outside strings,
IRIs and comments, which a lexer sees exactly, in well under a millisecond, and independently of
which SPARQL dialect a parser accepts (rdflib's and Oxigraph's differ). SPARQL also allows
`\\uXXXX` escapes *anywhere* in the text, decoded before parsing (Oxigraph does: `SEL\\u0045CT`
runs), so the text is read twice — as written and with escapes decoded — and a keyword found in
either reading counts. A target that is not a plain IRI (a variable, an unknown prefix, a relative
IRI without BASE) is refused. The common case — no `service`/`load` word at all — costs one regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from kg.errors import QueryRefusedError, RequestTooLargeError
from kg.namespaces import PREFIXES

__all__ = ["QueryFacts", "check_query", "check_update"]

_KEYWORDS = re.compile(r"(?i)\b(service|load|from)\b")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
                |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$)
                |'(?:[^'\\\n\r]|\\.)*'?
                |"(?:[^"\\\n\r]|\\.)*"?)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?
                 :(?:[\w\-.:%\\\u00b7\u00c0-\uffff]*))
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class QueryFacts:
    """What the guard learnt while reading a query, for the service's dataset choice."""

    names_dataset: bool  # the query has its own FROM / FROM NAMED clauses


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def check_query(
    text: str, *, allowlist: Sequence[str], max_bytes: int
) -> QueryFacts:
    """Raise `RequestTooLargeError` or `QueryRefusedError`, or return what the query names.

    LOAD in a query is a syntax error the parser reports; it is refused here all the same.
    """
    _check_size(text, max_bytes, "query")
    names_dataset = False
    for reading in _readings(text):
        if not _KEYWORDS.search(reading):
            continue
        tokens = list(_tokens(reading))
        _check_targets(tokens, allowlist)
        names_dataset = names_dataset or any(
            t.kind == "word" and t.text.upper() == "FROM" for t in tokens
        )
    return QueryFacts(names_dataset=names_dataset)


def check_update(text: str, *, allowlist: Sequence[str], max_bytes: int) -> None:
    """The same refusals for a SPARQL Update: `LOAD <iri>` and `SERVICE` inside `WHERE`."""
    _check_size(text, max_bytes, "update")
    for reading in _readings(text):
        if _KEYWORDS.search(reading):
            _check_targets(list(_tokens(reading)), allowlist)


def _check_size(text: str, max_bytes: int, what: str) -> None:
    """Refuse texts longer than the configured bound before reading them any further."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise RequestTooLargeError(
            f"The {what} is {size} bytes long; this endpoint accepts at most {max_bytes}."
        )


def _readings(text: str) -> list[str]:
    """The text as written and, if it has `\\u` escapes, with them decoded as SPARQL does."""
    decoded = _ESCAPE.sub(_decode_escape, text)
    return [text] if decoded == text else [text, decoded]


def _decode_escape(match: re.Match[str]) -> str:
    """One `\\uXXXX` / `\\UXXXXXXXX` escape as its character (invalid code points kept as is)."""
    try:
        return chr(int(match[1] or match[2], 16))
    except (ValueError, OverflowError):
        return match[0]


def _tokens(text: str) -> Iterator[_Token]:
    """The significant tokens of a SPARQL text: no whitespace, no comments."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        if kind not in ("ws", "comment"):
            yield _Token(kind, match[0])


def _check_targets(tokens: Sequence[_Token], allowlist: Sequence[str]) -> None:
    """Refuse the first SERVICE or LOAD whose target is not an allow-listed absolute IRI."""
    prefixes: dict[str, str] = dict(PREFIXES)
    base: str | None = None
    for i, token in enumerate(tokens):
        if token.kind != "word":
            continue
        keyword = token.text.upper()
        if keyword == "PREFIX" and i + 2 < len(tokens):
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "pname" and iri.kind == "iri":
                prefixes[name.text[:-1] if name.text.endswith(":") else name.text] = _resolve(
                    iri.text[1:-1], base
                ) or ""
        elif keyword == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = _resolve(tokens[i + 1].text[1:-1], base)
        elif keyword in ("SERVICE", "LOAD"):
            j = i + 1
            if j < len(tokens) and tokens[j].kind == "word" and tokens[j].text.upper() == "SILENT":
                j += 1
            target = _target(tokens[j] if j < len(tokens) else None, prefixes, base)
            if target is None or not _allowed(target, allowlist):
                shown = tokens[j].text if j < len(tokens) else "(nothing)"
                raise QueryRefusedError(
                    f"{keyword} {shown} is refused: this endpoint only reaches other services "
                    "listed in its federation allowlist"
                    + (f" ({', '.join(allowlist)})." if allowlist else ", which is empty.")
                )


def _target(token: _Token | None, prefixes: Mapping[str, str], base: str | None) -> str | None:
    """The absolute IRI a SERVICE/LOAD token names, or None if it names none we can check."""
    if token is None:
        return None
    if token.kind == "iri":
        return _resolve(token.text[1:-1], base)
    if token.kind == "pname" and "\\" not in token.text:
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix)
        return None if not namespace else namespace + local
    return None


def _resolve(iri: str, base: str | None) -> str | None:
    """`iri` made absolute against `base`; None if it stays relative."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri):
        return iri
    return urljoin(base, iri) if base else None


def _allowed(target: str, allowlist: Sequence[str]) -> bool:
    """True if `target` starts with an allow-listed prefix (so end entries with `/`)."""
    return any(target.startswith(prefix) for prefix in allowlist if prefix)
