"""SHACL validation of a release: the dump itself, not the files on disk, is what is checked.

The working tree may have changed since `kg load` built the store, so validating `data/ttl/` would
describe something other than what partners download. Instead every graph of the release is written
back to a Turtle file at the path its graph IRI names (`…/graph/data/ttl/sites/x.ttl` →
`<work>/data/ttl/sites/x.ttl`), and `kg.validation` runs on that tree with the release's own shapes
and ontology (falling back to the project's when the store holds none, e.g. synthetic data). The
report's file names are then the project paths a maintainer would fix. Oxigraph's literal
canonicalisation does not change any datatype the shapes test (see the notes), so the verdict is
the files' verdict.

Validation runs in a child process: pyshacl holds the whole data graph in memory, and keeping that
out of the release process keeps the release's own memory flat (its peak is reported separately).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.namespaces import GRAPH_BASE, PREFIXES, TRUTHY_GRAPH
from kg.release.changes import gzip_reader

__all__ = ["ReleaseValidation", "validate_release"]


@dataclass(frozen=True, slots=True)
class ReleaseValidation:
    """The verdict and how many results the report holds."""

    conforms: bool
    results: int


def _relative_path(graph: str) -> Path | None:
    """Where a graph's triples are written, relative to the work tree; None for derived graphs."""
    if graph == TRUTHY_GRAPH:
        return None
    if graph.startswith(GRAPH_BASE):
        relative = graph.removeprefix(GRAPH_BASE)
    elif graph.startswith("file://"):
        relative = "external/" + urllib.parse.unquote(urllib.parse.urlparse(graph).path)
    else:
        relative = "external/" + urllib.parse.quote(graph, safe="")
    parts = [p for p in relative.split("/") if p and p not in (".", "..")]
    if not parts or not parts[-1].endswith(".ttl"):
        return None
    return Path(*parts)


def _write_tree(dataset_nq_gz: Path, work: Path) -> list[Path]:
    """Write each graph as Turtle under `work`; return the data files (not ontology/)."""
    data_files = []
    with gzip_reader(dataset_nq_gz) as handle:
        quads = ox.parse(handle, ox.RdfFormat.N_QUADS)
        for graph, group in groupby(quads, key=lambda q: q.graph_name):
            if not isinstance(graph, ox.NamedNode):
                continue
            relative = _relative_path(graph.value)
            if relative is None:
                continue
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            triples = (ox.Triple(q.subject, q.predicate, q.object) for q in group)
            with target.open("wb") as out:
                ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
            if relative.parts[0] != "ontology":
                data_files.append(target)
    return data_files


def _validate_in_child(
    dataset_nq_gz: Path, work: Path, project_root: Path, report: Path
) -> tuple[bool, int]:
    from kg.validation import render, validate_paths
    from kg.validation.engine import default_ontology_paths

    data_files = _write_tree(dataset_nq_gz, work)
    own_shapes = work / "ontology" / "shapes"
    shapes_dir = own_shapes if own_shapes.is_dir() else project_root / "ontology" / "shapes"
    ontology = default_ontology_paths(work) or default_ontology_paths(project_root)
    result = validate_paths(
        data_files or [work / "data" / "ttl"],
        root=work,
        shapes_dir=shapes_dir,
        ontology_paths=ontology,
        use_cache=False,
    )
    report.write_text(render(result, "json"), encoding="utf-8")
    return result.conforms, len(result.results)


def validate_release(
    dataset_nq_gz: Path, *, work: Path, project_root: Path, report: Path
) -> ReleaseValidation:
    """Validate the release's graphs in a child process; write kg's JSON report to `report`.

    A plain `python -m kg.release.check` child, not multiprocessing: spawning would re-run the
    caller's `__main__` (the CLI) in the child.
    """
    command = [
        sys.executable, "-m", "kg.release.check",
        str(dataset_nq_gz), str(work), str(project_root), str(report),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StoreError(f"Validating the release failed: {done.stderr.strip()[-2000:]}")
    verdict = json.loads(done.stdout)
    return ReleaseValidation(conforms=bool(verdict["conforms"]), results=int(verdict["results"]))


def _main(argv: list[str]) -> None:
    dataset_nq_gz, work, project_root, report = (Path(a) for a in argv)
    conforms, results = _validate_in_child(dataset_nq_gz, work, project_root, report)
    sys.stdout.write(json.dumps({"conforms": conforms, "results": results}) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1:])
