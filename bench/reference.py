"""`python -m bench.reference DIR…`: plain pyshacl on DIR + ontology, results as comparable keys.

Run as its own process so the suite can time it and read its peak memory like any other command.
Prints one JSON object: conforms, the result count, the parse and validation seconds, and the
sorted result keys (focus node, source shape, constraint component, path) that `bench.validate`
compares with `kg validate --format json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kg.dataset import discover_files
from kg.validation.display import path_text, shape_text, term_text
from kg.validation.engine import default_ontology_paths, default_shape_paths
from kg.validation.reference import reference_validate

__all__ = ["result_key"]


def result_key(focus: str, shape: str, component: str, path: str | None) -> str:
    """Blank focus nodes ("[ … ]") are not comparable across parses; everything else is."""
    return " | ".join(("_" if focus.startswith("[") else focus, shape, component, path or ""))


def main(argv: list[str]) -> int:
    """Validate the given directories with plain pyshacl and print the JSON summary."""
    root = Path(__file__).resolve().parents[1]
    data = [f.path for f in discover_files([Path(a) for a in argv], root=root)]
    run = reference_validate(data, default_shape_paths(root), default_ontology_paths(root))
    keys = sorted(
        result_key(term_text(r.focus), shape_text(r.source_shape, run.shapes),
                   term_text(r.component),
                   None if r.path is None else path_text(r.path, run.shapes))
        for r in set(run.results)
    )
    json.dump({"conforms": run.conforms, "count": len(keys), "parse_s": run.parse_seconds,
               "validate_s": run.validate_seconds, "keys": keys}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
