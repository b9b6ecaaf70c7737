"""release: `kg release` vs `oxigraph dump` on the same store — throughput and peak memory.

Both read a store holding the same quads (kg's build: ontology + synthetic data + truthy layer;
Oxigraph's copy of it — `bench.stores`, shared with the query section) and write dumps to disk.
`oxigraph dump` writes one N-Quads file; `kg release` writes what a data partner gets (its
formats, checksums, description and changes), so it does more per quad. Release-time validation
is switched off when `kg release` offers the switch (validation has its own rows). Throughput
counts the store's quads.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

from bench.budget import Budget
from bench.data import Dataset
from bench.proc import VENV_BIN, Measured, median, run
from bench.rows import Row
from bench.stores import Stores

__all__ = ["bench_release", "release_available"]


@cache
def _help() -> str:
    result = run([VENV_BIN / "kg", "release", "--help"], env={"COLUMNS": "200"})
    return result.stdout if result.returncode == 0 else ""


def release_available() -> bool:
    """Whether this checkout has `kg release`."""
    return bool(_help())


def _kg_release(kg_store: Path, work: Path, run_number: int) -> Measured:
    releases = work / "releases"
    shutil.rmtree(releases, ignore_errors=True)
    command: list[str | Path] = [VENV_BIN / "kg", "release"]
    if "--no-validate" in _help():
        command.append("--no-validate")
    result = run(command, env={"KG_STORE_DIR": str(kg_store), "KG_RELEASES_DIR": str(releases)},
                 timeout_s=3600)
    shutil.rmtree(releases, ignore_errors=True)
    return result.check(f"kg release (run {run_number})")


def _oxigraph_dump(ox_store: Path, work: Path) -> Measured:
    target = work / "oxigraph-dump.nq"
    result = run([VENV_BIN / "oxigraph", "dump", "--location", ox_store, "--file", target],
                 timeout_s=3600)
    target.unlink(missing_ok=True)
    return result.check("oxigraph dump")


def bench_release(data: Dataset, stores: Stores, work: Path, repeat: int,
                  budget: Budget) -> list[Row]:
    """Median throughput of `kg release` and `oxigraph dump`, and their peak memory."""
    quads = stores.quads
    why = budget.skip_reason("kg release", quads)
    ours = [] if why else [_kg_release(stores.kg_store, work, n) for n in range(repeat)]
    if ours:
        budget.record("kg release", data.label, quads, median([m.seconds for m in ours]))
    theirs = [_oxigraph_dump(stores.ox_store, work) for _ in range(repeat)]
    row = Row("release", data.label, "dump the whole store", "quads/s",
              quads / median([m.seconds for m in ours]) if ours else None,
              quads / median([m.seconds for m in theirs]), "kg release", "oxigraph dump",
              target=">= 0.9x", notes=[why] if why else [])
    row.met = None if row.ratio is None else row.ratio >= 0.9
    row.notes.append(f"{quads:,} quads")
    if "--no-validate" not in _help():
        row.notes.append("kg release validated the data too (no switch to skip it)")
    memory = Row("release", data.label, "peak memory", "MB",
                 max(m.peak_rss_mb for m in ours) if ours else None,
                 max(m.peak_rss_mb for m in theirs), "kg release", "oxigraph dump",
                 higher_is_better=False)
    return [row, memory]
