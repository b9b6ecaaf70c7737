"""The synthetic datasets the suite measures on, made once per size with `kg synth`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.proc import VENV_BIN, run

__all__ = ["TRIPLES_PER_SITE", "Dataset", "dataset"]

# Measured: `kg synth` writes about 235 triples per site once the minimum counts of the other
# entities no longer dominate (1,174,003 triples for 5,000 sites).
TRIPLES_PER_SITE = 235
SEED = 20261123
VIOLATIONS = 0.01  # 1% of the sites carry one deliberate violation, so validation has work
QUICK_VIOLATIONS = 0.4  # the quick data has ~20 sites: enough flaws to compare results


@dataclass(frozen=True, slots=True)
class Dataset:
    """One generated dataset and what its manifest says about it."""

    label: str
    directory: Path
    sites: int
    triples: int
    files: int
    violations: int
    synth_seconds: float
    synth_peak_rss_mb: float

    def turtle_files(self) -> list[Path]:
        """Every Turtle file, sorted (the manifest is not one)."""
        return sorted(self.directory.rglob("*.ttl"))


def dataset(label: str, target_triples: int, work: Path, *,
            violations: float = VIOLATIONS) -> Dataset:
    """Generate the dataset of about `target_triples` triples under `work` (timed)."""
    sites = max(1, round(target_triples / TRIPLES_PER_SITE))
    directory = work / f"data-{label}"
    made = run([VENV_BIN / "kg", "synth", "--sites", str(sites), "--seed", str(SEED),
                "--violations", str(violations), "--out", directory]).check("kg synth")
    manifest = json.loads((directory / "synth-manifest.json").read_text(encoding="utf-8"))
    return Dataset(label, directory, sites, manifest["triples"], manifest["files"],
                   manifest["violations"]["count"], made.seconds, made.peak_rss_mb)
