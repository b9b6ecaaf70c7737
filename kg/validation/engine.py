"""Run the SHACL shapes over the data files: pyshacl's verdict, fast, located in the sources.

The reference semantics is plain `pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology,
inference="none", advanced=True)` (see `kg.validation.reference`). This engine gives the same
results without pyshacl:

- the data and ontology files go into one Oxigraph store, a named graph per file
  (`kg.validation.union`), with the files' literals kept as written (`kg.validation.terms`);
- SHACL Core is evaluated over that store (`kg.validation.core`), SHACL-SPARQL constraints run
  as SPARQL in Oxigraph (`kg.validation.sparql`);
- the store and the results are kept under `<root>/var/cache/validation/`, so a re-run after
  editing a file reloads only that file and re-validates only the focus nodes it can affect
  (`kg.validation.cache`);
- each result is placed at the focus node's position in its source file, found only for the
  few files that have results (`kg.validation.placing`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import rdflib
from rdflib import Graph

from kg.dataset import discover_files
from kg.errors import UserInputError
from kg.validation.cache import cached_run, fresh_run
from kg.validation.display import path_text, shape_text, term_text
from kg.validation.locator import Position
from kg.validation.report import ValidationReport, ValidationResult
from kg.validation.results import RawResult, read_results
from kg.validation.sources import ParsedFile, load_file

__all__ = ["default_ontology_paths", "default_shape_paths", "run_pyshacl", "validate_paths"]


def default_shape_paths(root: Path, shapes_dir: Path | None = None) -> list[Path]:
    """`<root>/ontology/shapes/*.ttl` (or the given directory's), sorted; none is an error."""
    directory = shapes_dir if shapes_dir is not None else root / "ontology" / "shapes"
    if not directory.is_dir():
        raise UserInputError(f"{directory}: no such shapes directory.")
    found = sorted(p.resolve() for p in directory.glob("*.ttl") if p.is_file())
    if not found:
        raise UserInputError(f"{directory}: contains no shapes (*.ttl); nothing to validate with.")
    return found


def default_ontology_paths(root: Path) -> list[Path]:
    """`<root>/ontology/heritage.ttl` and `<root>/ontology/vocab/*.ttl`, those that exist."""
    heritage = root / "ontology" / "heritage.ttl"
    vocab = sorted((root / "ontology" / "vocab").glob("*.ttl"))
    return [p.resolve() for p in ([heritage] if heritage.is_file() else []) + vocab]


def validate_paths(
    paths: Sequence[Path],
    *,
    root: Path,
    shapes_dir: Path | None = None,
    ontology_paths: Sequence[Path] | None = None,
    use_cache: bool = True,
    with_context: bool = True,
) -> ValidationReport:
    """Validate the Turtle files under `paths` (default <root>/data/ttl) against the shapes.

    A maintainer checks the file they are editing, and it links to places, people and sources
    described in other files. So when `paths` is a part of the curated data (or a file outside
    it), the rest of `<root>/data/ttl` is validated *with* it as context and only results located
    in the requested files (or the ontology) are reported — otherwise every link out of the file
    would be reported as dangling. `with_context=False` validates the files alone.
    The store of the last run, its results and the locator's parses are kept under
    `<root>/var/cache/validation/` (unless `use_cache` is False), so a re-run after an edit
    re-validates only what the edit can affect (`kg.validation.cache`).
    The ontology (default `ontology/heritage.ttl` + `ontology/vocab/*.ttl`) is mixed into the data
    graph, as pyshacl's `ont_graph` does, so class hierarchies and concept schemes are visible to
    the shapes — and the ontology's own nodes are validated and located too.
    Raises `SourceFileError` for a file that does not parse, `UserInputError` for bad paths.
    """
    root = root.resolve()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    curated = root / "data" / "ttl"
    data_paths = [f.path for f in discover_files(paths or [curated], root=root)]
    requested = set(data_paths)
    context_paths = (
        [f.path for f in discover_files([curated], root=root) if f.path not in requested]
        if with_context and paths and curated.is_dir()
        else []
    )
    shape_paths = default_shape_paths(root, shapes_dir)
    ontology = (
        [p.resolve() for p in ontology_paths]
        if ontology_paths is not None
        else default_ontology_paths(root)
    )
    for path in ontology:
        if not path.is_file():
            raise UserInputError(f"{path}: no such ontology file.")
    cache_dir = root / "var" / "cache" / "validation" if use_cache else None
    graph_paths = list(dict.fromkeys([*data_paths, *context_paths, *ontology]))
    shapes = [load_file(p, cache_dir=cache_dir) for p in shape_paths]
    shapes_graph = _graph(shapes)
    timings["shapes"] = time.perf_counter() - started

    if cache_dir is not None:
        run = cached_run(cache_dir / "store", graph_paths, shapes_graph, shape_paths, cache_dir)
    else:
        run = fresh_run(graph_paths, shapes_graph)
    timings.update(run.timings)

    started = time.perf_counter()
    results = [
        _present(raw, placed, shapes_graph)
        for raw, placed in dict.fromkeys(zip(run.results, run.places, strict=True))
    ]
    conforms = not results
    if context_paths:
        context = set(context_paths)
        results = [r for r in results if r.file not in context]
        conforms = not results
    timings["locate"] = time.perf_counter() - started
    return ValidationReport(
        conforms=conforms,
        results=tuple(results),
        files=tuple(data_paths),
        root=root,
        timings=timings,
    )


def run_pyshacl(
    data_graph: Graph, shapes_graph: Graph, ont_graph: Graph | None = None, *, inplace: bool = True
) -> tuple[bool, list[RawResult]]:
    """pyshacl with the project's options; restores rdflib's literal normalisation flag after.

    pyshacl switches `rdflib.NORMALIZE_LITERALS` off while it reads shapes and unconditionally
    back on afterwards — a global side effect that would change how later parses build literals.
    """
    import pyshacl  # here: the reference needs it, `kg validate` does not (~1 s to import)

    saved = rdflib.NORMALIZE_LITERALS
    try:
        conforms, results_graph, _ = pyshacl.validate(
            data_graph,
            shacl_graph=shapes_graph,
            ont_graph=ont_graph,
            inference="none",
            advanced=True,
            inplace=inplace,
        )
    finally:
        rdflib.NORMALIZE_LITERALS = saved
    if not isinstance(results_graph, Graph):
        raise RuntimeError(f"pyshacl failed: {results_graph}")
    return bool(conforms), list(read_results(results_graph))


def _graph(files: Sequence[ParsedFile]) -> Graph:
    graph = Graph()
    for parsed in files:
        for triple in parsed.triples:
            graph.add(triple)
    return graph


def _present(
    raw: RawResult, placed: tuple[Path | None, Position], shapes: Graph
) -> ValidationResult:
    path, (line, column) = placed
    return ValidationResult(
        file=path,
        line=line,
        column=column,
        severity=term_text(raw.severity),
        focus_node=term_text(raw.focus),
        path=None if raw.path is None else path_text(raw.path, shapes),
        value=None if raw.value is None else term_text(raw.value),
        source_shape=shape_text(raw.source_shape, shapes),
        constraint_component=term_text(raw.component),
        message=raw.message,
        focus_term=raw.focus,
        path_term=raw.path,
        value_term=raw.value,
        source_shape_term=raw.source_shape,
        severity_term=raw.severity,
        constraint_component_term=raw.component,
    )
