"""The protocol's `using-graph-uri` / `using-named-graph-uri`, applied to an update's text.

pyoxigraph's `Store.update` takes no dataset argument, but SPARQL Update has the same thing in its
grammar: `USING <g>` / `USING NAMED <g>` before the `WHERE` of each DELETE/INSERT operation. So the
protocol parameters are written into the text there. A small lexer (strings, IRIs and comments
skipped, braces counted) finds each operation-level `WHERE` (not the `DELETE WHERE` shorthand,
which takes no dataset). An update that already says `USING` or `WITH` conflicts with the
parameters and is refused, as the protocol requires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.errors import ProtocolError

__all__ = ["with_using_graphs"]

_TOKEN = re.compile(
    r'''(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"'''
    r"""|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\x00-\x20]*>|\#[^\n]*)"""
    r"|(?P<word>[?$]?[A-Za-z0-9_][\w.\-]*(?::[\w.\-:%]*)?|:[\w.\-:%]*)"
    r"|(?P<open>\{)|(?P<close>\})|(?P<other>\S)",
    re.DOTALL,
)


def with_using_graphs(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """`update` with `USING` clauses for the given graphs before each operation's WHERE."""
    if not using and not using_named:
        return update
    clauses = "".join(f"USING <{_iri(g)}> " for g in using) + "".join(
        f"USING NAMED <{_iri(g)}> " for g in using_named
    )
    depth = 0
    previous = ""
    insert_at: list[int] = []
    for match in _TOKEN.finditer(update):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0:
            word = match.group().upper()
            if word in ("USING", "WITH"):
                raise ProtocolError(
                    f"The update has its own {word} clause; it cannot be combined with the "
                    "using-graph-uri / using-named-graph-uri parameters."
                )
            if word == "WHERE" and previous != "DELETE":
                insert_at.append(match.start())
            previous = word
            continue
        if kind != "skip" and depth == 0:
            previous = ""
    for position in reversed(insert_at):
        update = update[:position] + clauses + update[position:]
    return update


def _iri(value: str) -> str:
    """A graph IRI from a parameter, refused if it could break out of `<…>`."""
    if not value or re.search(r'[<>"{}|^`\\\x00-\x20]', value):
        raise ProtocolError(f"{value!r} is not an IRI usable as a graph name.")
    return value
