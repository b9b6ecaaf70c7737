"""validate: `kg validate` vs plain pyshacl on the same files and shapes, results compared.

`kg validate` runs with its parse cache in a private root (so the project's cache is neither used
nor filled): the first run is cold, later runs are warm, and the re-validation after a one-file
change shows what the cache saves. Plain pyshacl (`bench.reference`) has no cache; it runs once,
and only up to the size where it finishes in minutes — beyond that its time is extrapolated
linearly from the largest measured size and marked as such.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.budget import Budget
from bench.data import SIZES, Dataset
from bench.proc import ROOT, VENV_BIN, Measured, median, run
from bench.reference import result_key
from bench.rows import Row

__all__ = ["ValidateState", "bench_validate"]

_TIMEOUT_S = 45 * 60  # one validation run may take this long before the suite gives up


class TimedOut(RuntimeError):
    """kg validate was stopped at the suite's time limit (a failure, if not the cold run)."""


class ValidateState:
    """What one size tells the next: pyshacl's measured seconds per triple, for extrapolation."""

    def __init__(self) -> None:
        self.pyshacl_seconds_per_triple: float | None = None
        self.pyshacl_measured_at: str = ""


def _private_root(work: Path) -> Path:
    """A root whose ontology/ is the project's and whose var/cache is the bench's own."""
    root = work / "validate-root"
    root.mkdir(parents=True, exist_ok=True)
    link = root / "ontology"
    if not link.exists():
        link.symlink_to(ROOT / "ontology")
    return root


def _kg_validate(data: Dataset, root: Path) -> tuple[Measured, list[str]]:
    result = run([VENV_BIN / "kg", "validate", "--no-context", "--format", "json", data.directory],
                 env={"KG_ROOT": str(root)}, timeout_s=_TIMEOUT_S)
    if result.timed_out:
        raise TimedOut
    if result.returncode not in (0, 1):
        result.check("kg validate")
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"kg validate gave no JSON report (exit {result.returncode}): "
                           f"{result.stderr[-2000:]}") from None
    keys = sorted(result_key(r["focusNode"], r["sourceShape"], r["constraintComponent"], r["path"])
                  for r in report["results"])
    return result, keys


def _touch_one_file(data: Dataset) -> tuple[Path, str]:
    """Change one label in one site file (a real edit, so its content hash changes)."""
    path = data.directory / "sites" / "synth-site-1.ttl"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("Synthetic site 1 (", "Synthetic site 1 (edited) (", 1),
                    encoding="utf-8")
    return path, original


def _not_run(data: Dataset, why: str, state: ValidateState) -> list[Row]:
    """The rows of a size where kg validate is over the budget (pyshacl: extrapolated if known)."""
    theirs = None
    notes = [why]
    if state.pyshacl_seconds_per_triple is not None:
        theirs = state.pyshacl_seconds_per_triple * data.triples
        notes.append(f"plain pyshacl extrapolated linearly from {state.pyshacl_measured_at}")
    return [Row("validate", data.label, workload, "s", None, theirs, "kg validate",
                "plain pyshacl", higher_is_better=False, theirs_estimated=theirs is not None,
                notes=notes)
            for workload in ("full validation, cold cache", "full validation, warm cache",
                             "re-validate after a one-file change")]


def bench_validate(data: Dataset, work: Path, repeat: int, *, run_pyshacl: bool,
                   state: ValidateState, budget: Budget) -> list[Row]:
    """Cold, warm and one-file-changed `kg validate` vs plain pyshacl; compare their results."""
    why = budget.skip_reason("kg validate", data.triples)
    if why:
        return _not_run(data, why, state)
    root = _private_root(work)
    shutil.rmtree(root / "var", ignore_errors=True)
    try:
        cold, keys = _kg_validate(data, root)
    except TimedOut:
        budget.record("kg validate", data.label, data.triples, _TIMEOUT_S)  # a lower bound
        return _not_run(data, f"kg validate did not finish within {_TIMEOUT_S / 60:.0f} min "
                        "(stopped)", state)
    budget.record("kg validate", data.label, data.triples, cold.seconds)
    warm = [_kg_validate(data, root)[0] for _ in range(repeat - 1)]
    path, original = _touch_one_file(data)
    try:
        changed, _ = _kg_validate(data, root)
    finally:
        path.write_text(original, encoding="utf-8")
    shutil.rmtree(root / "var", ignore_errors=True)

    pyshacl_seconds: float | None = None
    pyshacl_rss: float | None = None
    notes = [f"kg validate found {len(keys):,} results; {data.violations:,} were planted"]
    if run_pyshacl:
        reference = run([VENV_BIN / "python", "-m", "bench.reference", data.directory],
                        timeout_s=3 * 3600).check("plain pyshacl")
        summary = json.loads(reference.stdout)
        pyshacl_seconds, pyshacl_rss = reference.seconds, reference.peak_rss_mb
        state.pyshacl_seconds_per_triple = reference.seconds / data.triples
        state.pyshacl_measured_at = data.label
        same = summary["keys"] == keys
        notes.append(f"plain pyshacl found {summary['count']:,}; results "
                     + ("identical" if same else "DIFFER"))
    elif state.pyshacl_seconds_per_triple is not None:
        pyshacl_seconds = state.pyshacl_seconds_per_triple * data.triples
        notes.append(f"plain pyshacl not run at this size: its time is extrapolated linearly "
                     f"from {state.pyshacl_measured_at}")
    estimated = not run_pyshacl and pyshacl_seconds is not None
    cold_row = Row("validate", data.label, "full validation, cold cache", "s", cold.seconds,
                   pyshacl_seconds, "kg validate", "plain pyshacl", higher_is_better=False,
                   theirs_estimated=estimated, notes=notes)
    warm_s = median([m.seconds for m in warm]) if warm else None
    warm_row = Row("validate", data.label, "full validation, warm cache", "s", warm_s,
                   pyshacl_seconds, "kg validate", "plain pyshacl", higher_is_better=False,
                   theirs_estimated=estimated)
    if warm_s is None:
        warm_row.notes.append("not repeated at this size (time budget); see the cold run")
    changed_row = Row("validate", data.label, "re-validate after a one-file change", "s",
                      changed.seconds, pyshacl_seconds, "kg validate", "plain pyshacl",
                      higher_is_better=False, theirs_estimated=estimated)
    # The targets are set at 1M. "1M triples in <= 15 s" is the cold run: a warm run reuses the
    # previous run's results and validates nothing new.
    if data.nominal == SIZES["1M"]:
        cold_row.target = "<= 15 s at 1M"
        cold_row.met = cold.seconds <= 15
        changed_row.target = "<= 2 s at 1M"
        changed_row.met = changed.seconds <= 2
    memory = Row("validate", data.label, "peak memory", "MB",
                 max(m.peak_rss_mb for m in [cold, *warm, changed]), pyshacl_rss,
                 "kg validate", "plain pyshacl", higher_is_better=False)
    return [cold_row, warm_row, changed_row, memory]
