"""load: `kg load` vs `oxigraph load` on the same data.

Both start from nothing and end with a store on disk. `kg load` reads the Turtle files, checks
every one strictly, puts each file in its own named graph, derives the truthy layer and publishes
the build atomically. Oxigraph is given the same data three ways, each its own row:

- one TriG file and one N-Quads file holding every file's triples in the graph kg load gives it
  (`bench.one_file`) — the fairest input, since a partner would hand Oxigraph one dump; the
  target (>= 0.9x) is judged on these;
- the files themselves, as kg load reads them (`oxigraph load --file` with every file, into the
  default graph) — shown up to a size (default 1M), and run once (not repeated), because Oxigraph
  pays ~50 ms per file: ~8 min at 1M, and at 10M (~98k files) over an hour.

Throughput counts the triples of the data files (the truthy layer kg adds is extra work, not extra
credit). The one-file loads are checked to hold exactly the files' distinct triples (a triple a
file states twice is kept once, by kg load too).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from bench.data import Dataset
from bench.one_file import expected_quads, one_file
from bench.proc import VENV_BIN, Measured, median, run
from bench.rows import Row

__all__ = ["LoadSettings", "LoadState", "bench_load"]

# Oxigraph's CLI takes the files as arguments; stay well under the kernel's argument limit.
_FILES_PER_CALL = 10_000
_TIMEOUT_S = 4 * 3600
_VARIANTS = {  # row label -> how Oxigraph gets the data
    "one TriG file": "trig",
    "one N-Quads file": "nq",
    "the same files, one by one": "files",
}


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How many runs, and up to which size Oxigraph also loads the files one by one."""

    repeat: int
    per_file_up_to: int


class LoadState:
    """What one size tells the next: Oxigraph's measured seconds per file, for the skip note."""

    def __init__(self) -> None:
        self.seconds_per_file: float | None = None
        self.measured_at = ""


def _kg_load(data: Dataset, work: Path) -> Measured:
    store = work / "kg-store"
    shutil.rmtree(store, ignore_errors=True)
    result = run([VENV_BIN / "kg", "load", data.directory], env={"KG_STORE_DIR": str(store)},
                 timeout_s=_TIMEOUT_S)
    shutil.rmtree(store, ignore_errors=True)
    return result.check("kg load")


def _oxigraph_files(data: Dataset, location: Path) -> Measured:
    files = [p.relative_to(data.directory) for p in data.turtle_files()]
    seconds, rss = 0.0, 0.0
    for start in range(0, len(files), _FILES_PER_CALL):
        part = run([VENV_BIN / "oxigraph", "load", "--location", location, "--file",
                    *files[start:start + _FILES_PER_CALL]], cwd=data.directory,
                   timeout_s=_TIMEOUT_S)
        part.check("oxigraph load (files)")
        seconds += part.seconds
        rss = max(rss, part.peak_rss_mb)
    return Measured(seconds, rss, 0, "", "")


def _oxigraph_one(data: Dataset, location: Path, extension: str, check: bool) -> Measured:
    source = one_file(data, extension)
    result = run([VENV_BIN / "oxigraph", "load", "--location", location, "--file", source],
                 timeout_s=_TIMEOUT_S).check(f"oxigraph load (one .{extension} file)")
    if check:
        loaded, expected = len(ox.Store.read_only(str(location))), expected_quads(data)
        if loaded != expected:
            raise RuntimeError(f"oxigraph load of {source.name} holds {loaded:,} quads; the "
                               f"files' distinct triples are {expected:,}")
    return result


def _oxigraph_load(data: Dataset, work: Path, variant: str, check: bool) -> Measured:
    location = work / "oxigraph-store"
    shutil.rmtree(location, ignore_errors=True)
    try:
        if variant == "files":
            return _oxigraph_files(data, location)
        return _oxigraph_one(data, location, variant, check)
    finally:
        shutil.rmtree(location, ignore_errors=True)


def bench_load(data: Dataset, work: Path, settings: LoadSettings,
               state: LoadState) -> list[Row]:
    """Median throughput of kg load and of each Oxigraph variant (alternating runs), and memory."""
    variants = {label: v for label, v in _VARIANTS.items()
                if v != "files" or data.nominal <= settings.per_file_up_to}
    ours: list[Measured] = []
    theirs: dict[str, list[Measured]] = {label: [] for label in variants}
    for number in range(settings.repeat):
        ours.append(_kg_load(data, work))
        for label, variant in variants.items():
            if variant == "files" and number > 0:
                continue  # context, not the target: once (9,818 files at 1M take ~8 min)
            theirs[label].append(_oxigraph_load(data, work, variant, check=number == 0))
    if "the same files, one by one" in theirs:
        state.seconds_per_file = median(
            [m.seconds for m in theirs["the same files, one by one"]]) / data.files
        state.measured_at = data.label
    kg_rate = data.triples / median([m.seconds for m in ours])
    kg_rss = max(m.peak_rss_mb for m in ours)
    shape = f"{data.triples:,} triples in {data.files:,} files"
    rows: list[Row] = []
    for label in _VARIANTS:
        if label not in variants:
            why = f"not run: larger than --per-file-load-up-to ({data.files:,} files)"
            if state.seconds_per_file is not None:
                why += (f"; at {state.seconds_per_file * 1000:.0f} ms per file (measured at "
                        f"{state.measured_at}) Oxigraph would take about "
                        f"{state.seconds_per_file * data.files / 60:,.0f} min")
            rows.append(Row("load", data.label, f"vs oxigraph load: {label}", "triples/s",
                            kg_rate, None, "kg load", "oxigraph load",
                            notes=[why + "; see the one-file rows"]))
            continue
        runs = theirs[label]
        row = Row("load", data.label, f"vs oxigraph load: {label}", "triples/s", kg_rate,
                  data.triples / median([m.seconds for m in runs]), "kg load", "oxigraph load",
                  notes=[shape + ("; Oxigraph run once" if variants[label] == "files" else
                                  "; Oxigraph's file made beforehand (not timed), same graphs")])
        if variants[label] != "files":
            row.target = ">= 0.9x"
            row.met = row.ratio is not None and row.ratio >= 0.9
        rows.append(row)
        rows.append(Row("load", data.label, f"peak memory vs {label}", "MB", kg_rss,
                        max(m.peak_rss_mb for m in runs), "kg load", "oxigraph load",
                        higher_is_better=False))
    return rows
