"""The synthetic datasets the suite measures on, made with `kg synth` and kept between runs.

`kg synth` is deterministic (same seed, same bytes), so a dataset is cached under the work
directory by what decides its bytes: the number of sites, the seed, the share of violations, and a
fingerprint of the generator's code and the vocabularies it draws from. A later run (or the final
10M run after a niced pre-generation) reuses it; any change to the generator makes a new one.
The time and peak memory of the original generation are kept with it, so the synth row still
reports a measured figure, marked as cached.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.proc import ROOT, VENV_BIN, run

__all__ = ["SEED", "TRIPLES_PER_SITE", "Dataset", "cache_directory", "dataset"]

# Measured: `kg synth` writes about 235 triples per site once the minimum counts of the other
# entities no longer dominate (1,174,003 triples for 5,000 sites).
# Nominal sizes: what a run is asked for. A generated dataset is about that big (100k -> 101,518
# triples), so "up to a size" options compare these names, never a dataset's exact triple count.
SIZES = {"none": 0, "quick": 5_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000,
         "10M": 10_000_000}
TRIPLES_PER_SITE = 235
SEED = 20261123
VIOLATIONS = 0.01  # 1% of the sites carry one deliberate violation, so validation has work
QUICK_VIOLATIONS = 0.4  # the quick data has ~20 sites: enough flaws to compare results
_STAMP = "bench-synth.json"  # written by the bench beside kg synth's own manifest


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
    synth_peak_rss_mb: float | None  # None: generated before the suite measured memory right
    cached: bool = False

    @property
    def nominal(self) -> int:
        """The size this dataset was generated for (its label's number of triples)."""
        return SIZES[self.label]

    def turtle_files(self) -> list[Path]:
        """Every Turtle file, sorted (the manifest is not one)."""
        return sorted(self.directory.rglob("*.ttl"))


def _generator_fingerprint() -> str:
    """What decides the bytes besides the arguments: kg/synth's code and ontology/vocab."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "kg" / "synth").glob("*.py"),
                        *(ROOT / "ontology" / "vocab").glob("*.ttl")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_directory(work: Path, sites: int, violations: float) -> Path:
    """Where the dataset of `sites` sites (the bench's seed) lives under `work`."""
    return work / "data" / f"sites{sites}-seed{SEED}-v{violations:g}"


def _cached(directory: Path, key: dict[str, object]) -> dict[str, float | None] | None:
    stamp = directory / _STAMP
    if not (stamp.is_file() and (directory / "synth-manifest.json").is_file()):
        return None
    recorded = json.loads(stamp.read_text(encoding="utf-8"))
    if recorded.get("key") != key:
        return None
    edited = directory / "sites" / "synth-site-1.ttl"  # bench.validate edits it and puts it back
    if edited.is_file() and "(edited)" in edited.read_text(encoding="utf-8"):
        return None  # a run was killed mid-edit: regenerate rather than measure altered data
    # Stamps written before bench/spawn.py carry a peak floored at the generating process's size.
    peak = float(recorded["peak_rss_mb"]) if recorded.get("spawned") else None
    return {"seconds": float(recorded["seconds"]), "peak_rss_mb": peak}


def dataset(label: str, target_triples: int, work: Path, *,
            violations: float = VIOLATIONS) -> Dataset:
    """The dataset of about `target_triples` triples under `work`: reused, or generated (timed)."""
    sites = max(1, round(target_triples / TRIPLES_PER_SITE))
    directory = cache_directory(work, sites, violations)
    key: dict[str, object] = {"sites": sites, "seed": SEED, "violations": violations,
                              "generator": _generator_fingerprint()}
    timing: dict[str, float | None] | None = _cached(directory, key)
    if timing is None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.parent.mkdir(parents=True, exist_ok=True)
        made = run([VENV_BIN / "kg", "synth", "--sites", str(sites), "--seed", str(SEED),
                    "--violations", str(violations), "--out", directory],
                   timeout_s=4 * 3600).check("kg synth")
        timing = {"seconds": made.seconds, "peak_rss_mb": made.peak_rss_mb}
        (directory / _STAMP).write_text(json.dumps({"key": key, "spawned": True, **timing},
                                                   indent=1) + "\n",
                                        encoding="utf-8")
        cached = False
    else:
        cached = True
    manifest = json.loads((directory / "synth-manifest.json").read_text(encoding="utf-8"))
    return Dataset(label, directory, sites, manifest["triples"], manifest["files"],
                   manifest["violations"]["count"], timing["seconds"] or 0.0, timing["peak_rss_mb"],
                   cached)
