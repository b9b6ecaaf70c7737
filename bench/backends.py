"""backends: the example queries' latency on each store backend, on curated and synthetic data.

`python -m bench.backends [--runs 5] [--synth-triples 100000] [--out bench/backends.md]`

For each dataset (the project's curated data; `kg synth` data of about --synth-triples triples
plus the ontology) the same files are loaded into the three backends by the library's own
`Backend.load` — the embedded Oxigraph build, an `oxigraph serve` and a Virtuoso 7.2
(`virtuoso-t`), both started on loopback exactly as the backend tests start them — and every
example of queries/ is run through the same code the commands use, answers serialised as SPARQL
JSON:

- embedded: `kg.query.evaluate` on the live build opened read-only, in this process — the work a
  warm `kg serve` query worker does (`kg query` adds a fork of ~10-20 ms per call on top);
- oxigraph server, Virtuoso: `RemoteBackend.query` — HTTP, the store's evaluation, parsing and
  re-serialising the answer.

One warm-up run, then the median of --runs runs, in milliseconds. A query the engine refuses or
that passes --timeout-s is reported as such, never as a time. The machine is shared (2 cores), so
figures carry noise; the medians and the ranking are what to read.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import dataset
from bench.proc import ROOT

# The loopback store starters are the backend tests' own (one definition of how they run).
sys.path.insert(0, str(ROOT / "tests"))
from remote_stores import (  # type: ignore[import-not-found]
    RemoteStore,
    start_oxigraph,
    start_virtuoso,
)

from kg.backends.embedded import EmbeddedBackend
from kg.backends.remote import RemoteBackend
from kg.dataset import SourceFile, discover_files
from kg.errors import KgError, QueryTimeoutError
from kg.examples import Example, default_directory, load_examples
from kg.query import OutputFormat, evaluate
from kg.settings import Settings
from kg.store import open_store

__all__ = ["main"]

BACKENDS = ("embedded", "oxigraph server", "virtuoso")
Runner = Callable[[str, OutputFormat], None]


@dataclass
class Column:
    """One backend on one dataset: its load time and each example's median (or what failed)."""

    load_s: float = 0.0
    cells: dict[str, float | str] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)  # the store's message, for failures


def _median_ms(run: Runner, example: Example, runs: int) -> tuple[float | str, str]:
    """Median wall time of `runs` runs after one warm-up, or what failed and the message."""
    fmt = OutputFormat.ntriples if example.kind == "construct" else OutputFormat.json
    try:
        run(example.query, fmt)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            run(example.query, fmt)
            samples.append((time.perf_counter() - started) * 1000)
    except QueryTimeoutError as exc:
        return "timeout", str(exc)
    except KgError as exc:
        refused = "Virtuoso" in str(exc) or "failed the query" in str(exc)
        return ("refused" if refused else "error"), str(exc)
    return statistics.median(samples), ""


@contextmanager
def _embedded(files: Sequence[SourceFile], work: Path) -> Iterator[tuple[float, Runner]]:
    """An embedded build of `files`; queries evaluated in-process on it, read-only."""
    store_dir = work / "embedded"
    shutil.rmtree(store_dir, ignore_errors=True)
    report = EmbeddedBackend(store_dir).load(files)
    store = open_store(store_dir)

    def run(query: str, fmt: OutputFormat) -> None:
        evaluate(store, query, fmt)

    yield report.seconds, run


@contextmanager
def _remote(
    start: Callable[[Path], RemoteStore], files: Sequence[SourceFile], work: Path
) -> Iterator[tuple[float, Runner]]:
    """A store started on loopback, loaded by `RemoteBackend.load`, stopped afterwards."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    store = start(work)
    backend = RemoteBackend.from_settings(Settings(**store.settings_kwargs()))
    try:
        report = backend.load(files)

        def run(query: str, fmt: OutputFormat) -> None:
            backend.query(query, fmt=fmt, timeout_s=_TIMEOUT_S)

        yield report.seconds, run
    finally:
        backend.close()
        store.stop()


_TIMEOUT_S = 60.0


def _backend(name: str, files: Sequence[SourceFile], work: Path) -> AbstractContextManager[
    tuple[float, Runner]
]:
    """The named backend loaded with `files`: its load time and how to run a query on it."""
    if name == "embedded":
        return _embedded(files, work)
    if name == "oxigraph server":
        return _remote(
            lambda d: start_oxigraph(d, timeout_s=int(_TIMEOUT_S)), files, work / "oxigraph"
        )
    return _remote(start_virtuoso, files, work / "virtuoso")


def _measure(
    files: Sequence[SourceFile], examples: Sequence[Example], work: Path, runs: int
) -> dict[str, Column]:
    """Every backend's column for one dataset."""
    columns: dict[str, Column] = {}
    for name in BACKENDS:
        with _backend(name, files, work) as (load_s, run):
            column = Column(load_s=load_s)
            for example in examples:
                column.cells[example.id], why = _median_ms(run, example, runs)
                if why:
                    column.why[example.id] = " ".join(why.split())[:300]
                print(f"  {name:16} {example.id:50} {_cell(column.cells[example.id])}",
                      flush=True)
            columns[name] = column
    return columns


def _cell(value: float | str) -> str:
    """A median in ms with sensible precision, or the failure word."""
    if isinstance(value, str):
        return value
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _table(title: str, triples: int, columns: dict[str, Column], ids: Sequence[str]) -> str:
    """One markdown table: a row per example, a column per backend, then loads and totals."""
    lines = [
        f"### {title} ({triples:,} triples)",
        "",
        "| example query (median ms) | " + " | ".join(BACKENDS) + " |",
        "|---|" + "---:|" * len(BACKENDS),
    ]
    for example_id in ids:
        cells = [_cell(columns[b].cells[example_id]) for b in BACKENDS]
        lines.append(f"| {example_id} | " + " | ".join(cells) + " |")
    answered = [
        i for i in ids if all(isinstance(columns[b].cells[i], float) for b in BACKENDS)
    ]
    sums = [sum(float(columns[b].cells[i]) for i in answered) for b in BACKENDS]
    lines.append(
        f"| **sum over the {len(answered)} answered by all** | "
        + " | ".join(f"**{_cell(s)}**" for s in sums) + " |"
    )
    lines.append(
        "| `Backend.load` (s) | " + " | ".join(f"{columns[b].load_s:.1f}" for b in BACKENDS)
        + " |"
    )
    failures = [
        f"- {example_id} on {b}: {columns[b].why[example_id]}"
        for b in BACKENDS for example_id in ids if example_id in columns[b].why
    ]
    if failures:
        lines += ["", "Failures, with the store's message:", "", *failures]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.backends", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synth-triples", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "backends")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "backends.md")
    args = parser.parse_args(argv)
    examples = load_examples(default_directory(ROOT))
    ids = [e.id for e in examples]
    settings = Settings()
    sections = []
    datasets: list[tuple[str, list[Path]]] = [("curated data", list(settings.data_paths))]
    if args.synth_triples > 0:
        synth = dataset("backends", args.synth_triples, ROOT / "var" / "bench")
        datasets.append(
            (f"synthetic data, {synth.sites} sites", [ROOT / "ontology", synth.directory])
        )
    for title, paths in datasets:
        files = discover_files(paths, root=ROOT)
        print(f"{title}: {len(files)} files", flush=True)
        columns = _measure(files, examples, args.work, args.runs)
        triples = sum(c.triples for c in EmbeddedBackend(args.work / "embedded").graph_counts())
        sections.append(_table(title, triples, columns, ids))
    header = (
        "<!-- written by `python -m bench.backends "
        f"--runs {args.runs} --synth-triples {args.synth_triples}` -->\n"
        f"Medians of {args.runs} runs after a warm-up, on a shared 2-core machine; "
        "`refused` = the engine rejects the query, `timeout` = over "
        f"{_TIMEOUT_S:g} s.\n\n"
    )
    args.out.write_text(header + "\n".join(sections), encoding="utf-8")
    print(header + "\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
