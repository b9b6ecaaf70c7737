"""load: `kg load` vs `oxigraph load` on the same Turtle files.

Both start from nothing and end with a store on disk. `kg load` checks every file strictly, puts
each file in its own named graph, derives the truthy layer and publishes the build atomically;
`oxigraph load` parses the files in parallel into its default graph. Throughput counts the
triples of the files (the truthy layer kg adds is extra work, not extra credit).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.data import Dataset
from bench.proc import VENV_BIN, Measured, median, run
from bench.rows import Row

__all__ = ["bench_load"]

# Oxigraph's CLI takes the files as arguments; stay well under the kernel's argument limit.
_FILES_PER_CALL = 10_000


def _kg_load(data: Dataset, work: Path) -> Measured:
    store = work / "kg-store"
    shutil.rmtree(store, ignore_errors=True)
    result = run([VENV_BIN / "kg", "load", data.directory], env={"KG_STORE_DIR": str(store)})
    shutil.rmtree(store, ignore_errors=True)
    return result.check("kg load")


def _oxigraph_load(data: Dataset, work: Path) -> Measured:
    location = work / "oxigraph-store"
    shutil.rmtree(location, ignore_errors=True)
    files = [p.relative_to(data.directory) for p in data.turtle_files()]
    seconds, rss = 0.0, 0.0
    for start in range(0, len(files), _FILES_PER_CALL):
        part = run([VENV_BIN / "oxigraph", "load", "--location", location, "--file",
                    *files[start:start + _FILES_PER_CALL]], cwd=data.directory)
        part.check("oxigraph load")
        seconds += part.seconds
        rss = max(rss, part.peak_rss_mb)
    shutil.rmtree(location, ignore_errors=True)
    return Measured(seconds, rss, 0, "", "")


def bench_load(data: Dataset, work: Path, repeat: int) -> list[Row]:
    """Median throughput of both loaders over `repeat` alternating runs, and their peak memory."""
    ours: list[Measured] = []
    theirs: list[Measured] = []
    for _ in range(repeat):
        ours.append(_kg_load(data, work))
        theirs.append(_oxigraph_load(data, work))
    kg_rate = data.triples / median([m.seconds for m in ours])
    ox_rate = data.triples / median([m.seconds for m in theirs])
    row = Row("load", data.label, f"{data.triples:,} triples, {data.files:,} files",
              "triples/s", kg_rate, ox_rate, "kg load", "oxigraph load", target=">= 0.9x")
    row.met = row.ratio is not None and row.ratio >= 0.9
    memory = Row("load", data.label, "peak memory", "MB", max(m.peak_rss_mb for m in ours),
                 max(m.peak_rss_mb for m in theirs), "kg load", "oxigraph load",
                 higher_is_better=False)
    return [row, memory]
