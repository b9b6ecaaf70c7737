"""The library of example queries in `queries/`: loading, running and checking them.

Each example is one Turtle file, `NNN-slug.ttl`, described the way SIB's sparql-examples describe
theirs (`sh:SPARQLSelectExecutable` / `…AskExecutable` / `…ConstructExecutable`, `rdfs:label`,
`rdfs:comment`, `sh:select|ask|construct`, `schema:keywords`, `schema:target`), so the same
files feed the tests, the query editor and the documentation, and tools that read SIB's format read
ours. The expected result lives beside it in a sidecar, `NNN-slug.expected.<ext>`:

* SELECT → `.expected.tsv`, SPARQL 1.1 TSV exactly as pyoxigraph writes it, compared as text, so
  the order of rows (every example has an `ORDER BY`) is part of the contract;
* ASK → `.expected.srj`, the SPARQL JSON boolean result;
* CONSTRUCT → `.expected.ttl`, a Turtle graph, compared as a set of triples.

The expected results are produced, when the data changes on purpose, by
`python -m kg.examples --update`, which runs every example against a store built from
`ontology/` + `data/ttl/` with the truthy layer, exactly as `kg load` builds it.
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pyoxigraph as ox

from kg.errors import UserInputError
from kg.namespaces import PREFIXES
from kg.settings import Settings

__all__ = [
    "EXAMPLES_BASE",
    "EXAMPLE_FILE_PATTERN",
    "SCHEMA",
    "UPDATE_COMMAND",
    "Example",
    "ExampleError",
    "ExampleMismatch",
    "QueryKind",
    "check_example",
    "default_directory",
    "expected_path",
    "load_example",
    "load_examples",
    "main",
    "reference_store",
    "render_result",
    "run_example",
    "write_expected",
]

QueryKind = Literal["select", "ask", "construct"]

EXAMPLES_BASE: Final = "https://w3id.org/heritage-kg/.well-known/sparql-examples/"
SCHEMA: Final = "https://schema.org/"
SH: Final = PREFIXES["sh"]
RDFS: Final = PREFIXES["rdfs"]
RDF_TYPE: Final = ox.NamedNode(PREFIXES["rdf"] + "type")
UPDATE_COMMAND: Final = ".venv/bin/python -m kg.examples --update"
EXAMPLE_FILE_PATTERN: Final = re.compile(r"^(?P<id>\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*)\.ttl$")

# The query property and the executable class of each query form, as SIB names them.
_KIND_PROPERTY: Final[dict[QueryKind, str]] = {
    "select": SH + "select",
    "ask": SH + "ask",
    "construct": SH + "construct",
}
_KIND_CLASS: Final[dict[QueryKind, str]] = {
    "select": SH + "SPARQLSelectExecutable",
    "ask": SH + "SPARQLAskExecutable",
    "construct": SH + "SPARQLConstructExecutable",
}
_EXPECTED_SUFFIX: Final[dict[QueryKind, str]] = {
    "select": ".expected.tsv",
    "ask": ".expected.srj",
    "construct": ".expected.ttl",
}


class ExampleError(UserInputError):
    """An example file that does not describe exactly one well-formed query."""


@dataclass(frozen=True, slots=True)
class Example:
    """One example query with its metadata and, once generated, its expected result.

    `id` is the file name without `.ttl` (`001-sites-by-type-and-place`): stable, sortable and the
    local name of `iri`. `expected` is the sidecar's text, or None if it has not been generated.
    """

    id: str
    iri: str
    path: Path
    title: str
    description: str
    keywords: tuple[str, ...]
    kind: QueryKind
    query: str
    target: str | None
    expected: str | None

    @property
    def expected_path(self) -> Path:
        """Where the expected result of this example lives (it may not exist yet)."""
        return expected_path(self.path, self.kind)


@dataclass(frozen=True, slots=True)
class ExampleMismatch:
    """An example whose actual result differs from its expected one, with a readable diff."""

    example: Example
    actual: str
    diff: str


def default_directory(root: Path) -> Path:
    """The `queries/` directory of a checkout."""
    return root / "queries"


def expected_path(example_path: Path, kind: QueryKind) -> Path:
    """The sidecar that holds the expected result of the example in `example_path`."""
    return example_path.with_name(example_path.name.removesuffix(".ttl") + _EXPECTED_SUFFIX[kind])


def load_examples(directory: Path) -> list[Example]:
    """Every `NNN-slug.ttl` example in `directory`, sorted by id.

    Other files (the README, the expected-result sidecars) are ignored; a `.ttl` file whose name
    does not follow the scheme is an error, so a misnamed example cannot silently drop out of CI.
    """
    if not directory.is_dir():
        raise ExampleError(f"{directory}: no such directory of example queries.")
    examples = []
    for path in sorted(directory.glob("*.ttl")):
        if path.name.endswith(".expected.ttl"):
            continue
        examples.append(load_example(path))
    return examples


def load_example(path: Path) -> Example:
    """Read one example file strictly; raise `ExampleError` naming the file if anything is off."""
    match = EXAMPLE_FILE_PATTERN.match(path.name)
    if match is None:
        raise ExampleError(f"{path}: example files are named NNN-slug.ttl (e.g. 001-sites.ttl).")
    example_id = match["id"]
    try:
        triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except (OSError, SyntaxError) as exc:
        raise ExampleError(f"{path}: {exc}") from None
    subject = ox.NamedNode(EXAMPLES_BASE + example_id)
    about = [t for t in triples if t.subject == subject]
    if not about:
        raise ExampleError(f"{path}: no description of <{subject.value}> (ex:{example_id}).")

    def values(predicate: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        node = ox.NamedNode(predicate)
        return sorted((t.object for t in about if t.predicate == node), key=str)

    def one_text(predicate: str, what: str) -> str:
        found = [v.value for v in values(predicate) if isinstance(v, ox.Literal)]
        if len(found) != 1 or not found[0].strip():
            raise ExampleError(f"{path}: needs exactly one non-empty {what}, found {len(found)}.")
        return found[0].strip()

    def one_line(predicate: str, what: str) -> str:
        # Titles and descriptions are wrapped in the file for reading; joined for display.
        return " ".join(one_text(predicate, what).split())

    kinds = [k for k, p in _KIND_PROPERTY.items() if values(p)]
    if len(kinds) != 1:
        raise ExampleError(f"{path}: needs exactly one of sh:select, sh:ask, sh:construct.")
    kind = kinds[0]
    types = {v.value for v in values(RDF_TYPE.value) if isinstance(v, ox.NamedNode)}
    for needed in (SH + "SPARQLExecutable", _KIND_CLASS[kind]):
        if needed not in types:
            raise ExampleError(f"{path}: ex:{example_id} must be a <{needed}>.")
    query = one_text(_KIND_PROPERTY[kind], f"sh:{kind} query")
    targets = [v.value for v in values(SCHEMA + "target") if isinstance(v, ox.NamedNode)]
    sidecar = expected_path(path, kind)
    return Example(
        id=example_id,
        iri=subject.value,
        path=path,
        title=one_line(RDFS + "label", "rdfs:label (the title)"),
        description=one_line(RDFS + "comment", "rdfs:comment (the description)"),
        keywords=tuple(v.value for v in values(SCHEMA + "keywords") if isinstance(v, ox.Literal)),
        kind=kind,
        query=query + "\n",
        target=targets[0] if targets else None,
        expected=sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None,
    )


def run_example(example: Example, store: ox.Store) -> str:
    """Evaluate the example on `store` (default graph = union of all graphs) and render it.

    The text is in the sidecar's format, so comparing it with `example.expected` is the check.
    """
    result = store.query(example.query, use_default_graph_as_union=True)
    return render_result(result)


def render_result(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> str:
    """A result as the text of its expected-result sidecar (TSV, SPARQL JSON or sorted Turtle)."""
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        out = io.BytesIO()
        is_ask = isinstance(result, ox.QueryBoolean)
        fmt = ox.QueryResultsFormat.JSON if is_ask else ox.QueryResultsFormat.TSV
        result.serialize(out, fmt)
        return out.getvalue().decode("utf-8") + ("\n" if is_ask else "")
    triples = sorted(set(result), key=str)
    return _turtle(triples)


def _turtle(triples: Sequence[ox.Triple]) -> str:
    """Sorted triples as Turtle with the canonical prefixes they use, for a stable sidecar.

    pyoxigraph writes `@prefix` lines in no fixed order, so they are sorted here; the triples come
    in sorted, which fixes the order of the body.
    """
    iris = {
        term.value
        for t in triples
        for term in (t.subject, t.predicate, t.object)
        if isinstance(term, ox.NamedNode)
    }
    used = {p: ns for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in iris)}
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=used)
    lines = out.getvalue().decode("utf-8").splitlines(keepends=True)
    header = sorted(line for line in lines if line.startswith("@prefix "))
    body = [line for line in lines if not line.startswith("@prefix ")]
    return "".join(header + body)


def _graph(text: str) -> set[ox.Triple]:
    """The triples of a Turtle text; blank nodes are not comparable and are refused."""
    try:
        triples = set(ox.parse(text, ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        raise ExampleError(f"an expected CONSTRUCT result is not valid Turtle: {exc}") from None
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            raise ExampleError(
                "a CONSTRUCT example returned a blank node, which cannot be compared exactly; "
                "construct IRIs or literals only."
            )
    return triples


def check_example(example: Example, store: ox.Store) -> ExampleMismatch | None:
    """Run the example; None if it gives exactly its expected result, else the mismatch."""
    actual = run_example(example, store)
    expected = example.expected if example.expected is not None else ""
    if example.kind == "construct" and example.expected is not None:
        if _graph(actual) == _graph(expected):
            return None
    elif actual == expected:
        return None
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=str(example.expected_path),
            tofile="actual",
        )
    )
    return ExampleMismatch(example=example, actual=actual, diff=diff)


def write_expected(example: Example, store: ox.Store) -> bool:
    """Regenerate the example's sidecar; True if its content changed."""
    actual = run_example(example, store)
    if example.expected == actual:
        return False
    example.expected_path.write_text(actual, encoding="utf-8")
    return True


@contextmanager
def reference_store(data_paths: Sequence[Path], *, root: Path) -> Iterator[ox.Store]:
    """A throw-away store built from `data_paths` exactly as `kg load` builds the live one.

    It goes through `kg.store.load_dataset` (one named graph per file, the truthy layer derived)
    into a temporary directory, so the examples are checked against what a scholar queries.
    """
    from kg.dataset import discover_files
    from kg.store import load_dataset, open_store

    with tempfile.TemporaryDirectory(prefix="kg-examples-") as tmp:
        store_dir = Path(tmp)
        load_dataset(discover_files(data_paths, root=root), store_dir=store_dir)
        store = open_store(store_dir)
        try:
            yield store
        finally:
            del store


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> int:
    """`python -m kg.examples [--update]`: check (or regenerate) every expected result.

    Exit 0 when all examples give their expected result (or after updating), 1 otherwise. The
    examples are `queries/` under `settings.root`; the data is `settings.data_paths`.
    """
    parser = argparse.ArgumentParser(
        prog="python -m kg.examples",
        description="Check the example queries in queries/ against the curated data.",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="rewrite each example's expected-result sidecar from the current data",
    )
    args = parser.parse_args(argv)
    if settings is None:
        settings = Settings()
    examples = load_examples(default_directory(settings.root))
    failed = 0
    with reference_store(settings.data_paths, root=settings.root) as store:
        for example in examples:
            if args.update:
                changed = write_expected(example, store)
                print(f"{'updated' if changed else 'unchanged'}  {example.id}")
                continue
            mismatch = check_example(example, store)
            if mismatch is None:
                print(f"ok        {example.id}")
            else:
                failed += 1
                print(f"MISMATCH  {example.id}\n{mismatch.diff}")
    if failed:
        print(f"{failed} example(s) differ; if the data changed on purpose, run {UPDATE_COMMAND}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
