"""release: `kg release` vs `oxigraph dump` on the same store — throughput and peak memory.

Both read a store holding the same quads (kg's build: ontology + synthetic data + truthy layer;
Oxigraph's copy of it) and write dumps to disk. `oxigraph dump` writes one N-Quads file; `kg
release` writes what a data partner gets (its formats, checksums, description and changes), so
it does more per quad. Release-time validation is switched off when `kg release` offers the switch
(validation has its own rows). Throughput counts the store's quads.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from bench.data import Dataset
from bench.proc import ROOT, VENV_BIN, Measured, median, run
from bench.rows import Row
from kg.store import require_store

__all__ = ["bench_release", "release_available"]


@cache
def _help() -> str:
    result = run([VENV_BIN / "kg", "release", "--help"], env={"COLUMNS": "200"})
    return result.stdout if result.returncode == 0 else ""


def release_available() -> bool:
    """Whether this checkout has `kg release`."""
    return bool(_help())


def _stores(data: Dataset, work: Path) -> tuple[Path, Path, int]:
    kg_store = work / "release-kg-store"
    ox_store = work / "release-oxigraph-store"
    for directory in (kg_store, ox_store):
        shutil.rmtree(directory, ignore_errors=True)
    run([VENV_BIN / "kg", "load", ROOT / "ontology", data.directory],
        env={"KG_STORE_DIR": str(kg_store)}).check("kg load (release bench)")
    quads_file = work / "release-dump.nq"
    store = ox.Store.read_only(str(require_store(kg_store)))
    quads = len(store)
    store.dump(str(quads_file), ox.RdfFormat.N_QUADS)
    del store
    run([VENV_BIN / "oxigraph", "load", "--location", ox_store, "--file", quads_file]).check(
        "oxigraph load (release bench)")
    quads_file.unlink()
    return kg_store, ox_store, quads


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


def bench_release(data: Dataset, work: Path, repeat: int) -> list[Row]:
    """Median throughput of `kg release` and `oxigraph dump`, and their peak memory."""
    kg_store, ox_store, quads = _stores(data, work)
    ours = [_kg_release(kg_store, work, n) for n in range(repeat)]
    theirs = [_oxigraph_dump(ox_store, work) for _ in range(repeat)]
    shutil.rmtree(kg_store, ignore_errors=True)
    shutil.rmtree(ox_store, ignore_errors=True)
    row = Row("release", data.label, f"{quads:,} quads", "quads/s",
              quads / median([m.seconds for m in ours]),
              quads / median([m.seconds for m in theirs]), "kg release", "oxigraph dump",
              target=">= 0.9x")
    row.met = row.ratio is not None and row.ratio >= 0.9
    if "--no-validate" not in _help():
        row.notes.append("kg release validated the data too (no switch to skip it)")
    memory = Row("release", data.label, "peak memory", "MB", max(m.peak_rss_mb for m in ours),
                 max(m.peak_rss_mb for m in theirs), "kg release", "oxigraph dump",
                 higher_is_better=False)
    return [row, memory]
