"""The suite's one command: `python -m bench [--quick] [--sizes 100k,1M,10M] …`.

For each size: generate the data (`kg synth`), then load, validate, query and release, each
comparison with both sides on the same data in this run. Prints the table and writes the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.budget import Budget
from bench.bytecode import compile_project
from bench.data import QUICK_VIOLATIONS, SIZES, VIOLATIONS, Dataset, dataset
from bench.load import LoadSettings, LoadState, bench_load
from bench.plot import write_plot
from bench.proc import ROOT
from bench.query import QuerySettings, bench_query
from bench.release import bench_release, release_available
from bench.report import machine, markdown, table, versions
from bench.rows import Row, read_rows, write_rows
from bench.steal import cpu_times, stolen_share
from bench.stores import SharedStores
from bench.validate import ValidateState, bench_validate

__all__ = ["main"]

SECTIONS = ("load", "validate", "query", "release")
_PREFACE = """Produced by `make bench` (`python -m bench`); `python -m bench --quick` is the small
version CI runs as a test. Every comparison runs both sides in the same run, on the same data:
synthetic heritage data written by `kg synth` (deterministic, seed in the settings below; 1% of
the sites — 40% in the quick run — carry one deliberate SHACL violation each). Times are
wall-clock seconds of whole commands, medians of the repeats; peak memory is the kernel's
maximum resident set size of the command (and the children it waited for). Ratios are
ours/theirs for rates and theirs/ours for times, so a ratio above 1 always means heritage-kg is
ahead. A figure marked "~ … extrapolated" was not measured (plain pyshacl beyond the size it runs
at); a row whose notes start with "not run" or that reads "failed" says why it has no figure
(a size limit, the per-run `--budget` extrapolated from the previous size, or the error).
Generated data is cached by size, seed and generator, so a synth row may report the time of an
earlier generation (its notes say so).
"""


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny data, one repeat, one-second query runs (what CI runs)")
    parser.add_argument("--sizes", help="comma-separated sizes (default 100k,1M,10M; with "
                        "--quick: quick): " + ", ".join(SIZES))
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument("--repeat", type=int, help="runs per measurement (median)")
    parser.add_argument("--query-seconds", type=float, help="duration of one query run")
    parser.add_argument("--pyshacl-up-to", default=None, choices=list(SIZES),
                        help="largest size at which plain pyshacl runs (bigger: extrapolated; "
                        "none: never)")
    parser.add_argument("--repeat-up-to", default="1M", choices=list(SIZES),
                        help="largest size measured --repeat times (bigger: once)")
    parser.add_argument("--per-file-load-up-to", default="1M", choices=list(SIZES),
                        help="largest size at which oxigraph load also reads the files one by "
                        "one (~50 ms per file; bigger: one-file inputs only)")
    parser.add_argument("--rdflib-endpoint-up-to", default="1M", choices=list(SIZES),
                        help="largest size at which rdflib-endpoint is measured (reference)")
    parser.add_argument("--budget", type=float, default=3600,
                        help="seconds one run of kg validate or kg release may take, "
                        "extrapolated from the previous size; over it the run is skipped and "
                        "reported as not run (0: no limit)")
    parser.add_argument("--validate-repeat-up-to", default="100k", choices=list(SIZES),
                        help="largest size at which kg validate is repeated (bigger: once)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench",
                        help="scratch directory (data, stores)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "results" / "scaling.svg",
                        help="the scaling plot (SVG) written beside the report")
    parser.add_argument("--include-rows", type=Path, action="append", default=[],
                        help="rows (JSON) of an earlier run to report beside this run's")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write the report from --include-rows")
    parser.add_argument("--analysis", type=Path, default=ROOT / "bench" / "analysis.md",
                        help="hand-written notes appended to the report, if the file exists")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; 0 when every measurement ran (targets met or not), 1 if one failed."""
    args = _args(argv)
    sizes = (args.sizes or ("quick" if args.quick else "100k,1M,10M")).split(",")
    unknown = [s for s in sizes if s not in SIZES or s == "none"]
    if unknown:
        raise SystemExit(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    sections = args.sections.split(",")
    repeat = args.repeat or (1 if args.quick else 3)
    pyshacl_up_to = args.pyshacl_up_to or ("quick" if args.quick else "100k")
    query = QuerySettings(clients=8, seconds=args.query_seconds or (1.0 if args.quick else 10.0),
                          max_requests=2_000 if args.quick else 10_000_000, repeat=repeat,
                          use_wrk=not args.quick,
                          rdflib_endpoint_up_to=SIZES[args.rdflib_endpoint_up_to])
    args.work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows: list[Row] = []
    state = ValidateState()
    load_state = LoadState()
    budget = Budget(args.budget or None)
    failed: list[Row] = []
    rows_file = args.work / f"rows-{time.strftime('%Y%m%dT%H%M%S')}.json"
    if not args.report_only and not compile_project():
        raise SystemExit("bench: kg/ or bench/ does not compile to bytecode (see the errors above)")
    for label in [] if args.report_only else sizes:
        data = dataset(label, SIZES[label], args.work,
                       violations=QUICK_VIOLATIONS if label == "quick" else VIOLATIONS)
        rows.append(_synth_row(data))
        print(f"[bench] {label}: {data.triples:,} triples in {data.files:,} files"
              + (" (cached)" if data.cached else ""), flush=True)
        runs = repeat if SIZES[label] <= SIZES[args.repeat_up_to] else 1
        stores = SharedStores(data, args.work)
        measures = _measures(args, label, data, stores, runs, repeat=repeat,
                             pyshacl_up_to=pyshacl_up_to, query=query, state=state,
                             load_state=load_state, budget=budget)
        try:
            for section in SECTIONS:
                if section in sections:
                    done = _section(section, label, measures[section])
                    failed += [row for row in done if row.workload == "failed"]
                    rows += done
                    write_rows(rows, rows_file)
        finally:
            stores.close()
    included = [row for earlier in args.include_rows for row in read_rows(earlier)]
    rows = sorted(_latest([*included, *rows]), key=lambda r: (
        SIZES.get(r.size, 0), (("synth", *SECTIONS).index(r.section)
                               if r.section in ("synth", *SECTIONS) else 99)))
    text = table(rows)
    print(text)
    settings = {
        "assembled from": ", ".join(p.name for p in args.include_rows) or "this run only",
        "sizes": ", ".join(sizes),
        "sections": ", ".join(sections),
        "repeats per measurement": f"{repeat} up to {args.repeat_up_to}, 1 above",
        "query runs": f"{query.clients} loopback clients, {query.seconds:g} s each, "
        + ("Python client" if not query.use_wrk else "wrk when installed"),
        "plain pyshacl measured up to": pyshacl_up_to + " (bigger: extrapolated linearly)",
        "oxigraph load of the files one by one up to": args.per_file_load_up_to,
        "rdflib-endpoint measured up to": args.rdflib_endpoint_up_to,
        "budget per run of kg validate / kg release": (
            f"{args.budget:,.0f} s, extrapolated from the previous size" if args.budget
            else "none"),
        "load average (1/5/15 min) at start": " / ".join(f"{x:.2f}" for x in load_before),
        "load average at end": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        "suite wall time": f"{time.perf_counter() - started:,.0f} s",
        "synth seed": "20261123",
    }
    if args.report_only:
        settings = {"assembled from": settings["assembled from"],
                    "settings of the parts": "see the notes below the results"}
    analysis = args.analysis.read_text(encoding="utf-8") if args.analysis.is_file() else ""
    plot = None
    if write_plot(rows, SIZES, args.plot):
        plot = Path(os.path.relpath(args.plot.resolve(), args.out.resolve().parent)).as_posix()
        print(f"[bench] wrote {args.plot}", flush=True)
    args.out.write_text(markdown(rows, title="heritage-kg benchmarks", preface=_PREFACE,
                                 settings=settings, machine_info=machine(),
                                 version_info=versions(), analysis=analysis, plot=plot),
                        encoding="utf-8")
    print(f"[bench] wrote {args.out}", flush=True)
    return 1 if failed else 0


def _measures(args: argparse.Namespace, label: str, data: Dataset, stores: SharedStores,
              runs: int, *, repeat: int, pyshacl_up_to: str, query: QuerySettings,
              state: ValidateState, load_state: LoadState,
              budget: Budget) -> dict[str, Callable[[], list[Row]]]:
    """What each section measures at one size, to be called in the sections' order."""
    validate_runs = repeat if SIZES[label] <= SIZES[args.validate_repeat_up_to] else 1
    return {
        "load": lambda: bench_load(data, args.work, LoadSettings(
            runs, per_file_up_to=SIZES[args.per_file_load_up_to]), load_state),
        "validate": lambda: bench_validate(
            data, args.work, validate_runs, run_pyshacl=SIZES[label] <= SIZES[pyshacl_up_to],
            state=state, budget=budget),
        "query": lambda: bench_query(data, stores.get(), args.work,
                                     dataclasses.replace(query, repeat=runs)),
        "release": lambda: bench_release(data, stores.get(), args.work, runs, budget)
        if release_available() else [
            _missing("release", label, "`kg release` is not available here")],
    }


def _section(section: str, size: str, measure: Callable[[], list[Row]]) -> list[Row]:
    """One section's rows; a command that failed or timed out becomes a "failed" row with its
    reason, so a long run keeps every other measurement (and exits 1 at the end)."""
    before = cpu_times()
    try:
        rows = measure()
    except RuntimeError as error:
        print(f"[bench] {size}: {section} FAILED: {error}", flush=True)
        return [Row(section, size, "failed", "", None, None, "—", "—",
                    notes=[" ".join(str(error).split())[:400]])]
    stolen = stolen_share(before, cpu_times())
    if stolen is not None:
        for row in rows:
            row.notes.append(f"CPU stolen by the hypervisor during this section: {stolen:.0%}")
    print(f"[bench] {size}: {section} done"
          + (f" (CPU stolen by the hypervisor: {stolen:.0%})" if stolen is not None else ""),
          flush=True)
    return rows


def _latest(rows: list[Row]) -> list[Row]:
    """One row per measure and size: when parts of a run overlap (each part synthesises its data
    again, say), the row of the later part replaces the earlier one."""
    latest: dict[tuple[str, ...], Row] = {}
    for row in rows:
        latest[(row.section, row.size, row.workload, row.metric, row.ours_name,
                row.theirs_name)] = row
    return list(latest.values())


def _synth_row(data: Dataset) -> Row:
    row = Row("synth", data.label, f"kg synth --sites {data.sites:,}", "triples/s",
              data.triples / data.synth_seconds if data.synth_seconds else None, None,
              "kg synth", "—")
    row.notes.append(f"{data.triples:,} triples, {data.files:,} files, "
                     + ("peak memory not recorded (cached before the suite measured it through "
                        "bench/spawn.py)" if data.synth_peak_rss_mb is None else
                        f"peak memory {data.synth_peak_rss_mb:,.0f} MB"))
    if data.cached:
        row.notes.append("data reused from the cache (same sites, seed and generator); the time "
                         "is that of its generation")
    return row


def _missing(section: str, size: str, why: str) -> Row:
    return Row(section, size, "not measured", "", None, None, "—", "—", notes=[why])


