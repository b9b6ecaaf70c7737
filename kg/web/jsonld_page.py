"""JSON-LD of a page's graph, compacted with the project's full context like the release dumps.

The release's streaming compactor (`kg.release.jsonld`) is used, so a page and a dump use the same
terms and no blank-node triple (citation, time span) is lost on the way. The context file is read
and parsed once per process, not per request.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.release.jsonld import JsonLdCompactor, write_jsonld

__all__ = ["compact_jsonld"]


@cache
def _context(root: Path) -> Any:
    """The `@context` of `ontology/context.jsonld` under `root` (read once)."""
    document = json.loads((root / "ontology" / "context.jsonld").read_text(encoding="utf-8"))
    return document["@context"]


def compact_jsonld(ntriples: bytes, root: Path) -> bytes:
    """The graph given as N-Triples, as compacted JSON-LD (subjects first, blank nodes last)."""
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    quads = sorted(
        (ox.Quad(t.subject, t.predicate, t.object) for t in triples),
        key=lambda q: (isinstance(q.subject, ox.BlankNode), str(q.subject)),
    )
    output = io.StringIO()
    write_jsonld(iter(quads), output, compactor=JsonLdCompactor(_context(root)))
    return output.getvalue().encode()
