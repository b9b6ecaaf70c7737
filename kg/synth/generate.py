"""Write a whole synthetic dataset to disk, file by file, and its manifest.

Sizes follow the number of sites (people, sources, places … in fixed proportions, never fewer than
one of each vocabulary type where the type rotates). Files are written as soon as they are built
and nothing is kept but counters, so memory stays flat however large the dataset.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UserInputError
from kg.namespaces import VOCAB_BASE
from kg.synth import entities
from kg.synth.parts import FLAW_KINDS, FLAW_SHAPES, World
from kg.synth.turtle import TurtleFile

__all__ = ["MANIFEST_NAME", "SynthReport", "flaw_of", "plan_world", "synthesize"]

MANIFEST_NAME = "synth-manifest.json"
_FOLDERS = ("places", "people", "organizations", "sources", "media", "objects", "works", "sites")
_SKOS_IN_SCHEME = ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme")


@dataclass(frozen=True, slots=True)
class SynthReport:
    """What `synthesize` wrote."""

    out_dir: Path
    files: int
    triples: int
    violations: int
    seconds: float


def read_concepts(vocab_dir: Path) -> dict[str, tuple[str, ...]]:
    """The local names of every concept, per scheme (e.g. "site-type" → ("bath", …)), sorted."""
    schemes: dict[str, set[str]] = {}
    for path in sorted(vocab_dir.glob("*.ttl")):
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            if triple.predicate != _SKOS_IN_SCHEME or not isinstance(triple.object, ox.NamedNode):
                continue
            scheme = triple.object.value.removeprefix(VOCAB_BASE)
            concept = str(triple.subject.value).rsplit("/", 1)[-1]
            schemes.setdefault(scheme, set()).add(concept)
    if not schemes:
        raise UserInputError(f"{vocab_dir}: no SKOS concepts found; kg synth needs ontology/vocab.")
    return {scheme: tuple(sorted(names)) for scheme, names in schemes.items()}


def plan_world(sites: int, seed: int, concepts: dict[str, tuple[str, ...]]) -> World:
    """How many of each entity a dataset of `sites` sites has."""
    return World(
        seed=seed,
        sites=sites,
        places=max(12, sites // 8),
        people=max(12, sites // 4),
        organizations=max(8, sites // 40),
        sources=max(len(concepts["source-type"]), sites // 2),
        media=max(10, sites // 5),
        objects=max(len(concepts["object-type"]), sites // 8),
        works=max(len(concepts["work-type"]), sites // 12),
        concepts=concepts,
    )


def flaw_of(index: int, sites: int, fraction: float) -> str | None:
    """The deliberate violation of site `index`, if it gets one.

    Exactly floor(sites * fraction) sites are flawed, spread evenly, and the kinds rotate, so the
    count is known in advance and every kind occurs once there are enough flaws.
    """
    before, after = int(index * fraction), int((index + 1) * fraction)
    if after <= before or index >= sites:
        return None
    return FLAW_KINDS[before % len(FLAW_KINDS)]


def _jobs(world: World) -> Iterator[tuple[str, str, Callable[[], TurtleFile]]]:
    """(folder, file name, builder call) for everything but the sites, in a fixed order."""
    builders: list[tuple[str, str, int, Callable[[World, int], TurtleFile]]] = [
        ("places", "place", world.places, entities.place_file),
        ("people", "person", world.people, entities.person_file),
        ("organizations", "org", world.organizations, entities.organization_file),
        ("sources", "source", world.sources, entities.source_file),
        ("media", "media", world.media, entities.media_file),
        ("objects", "object", world.objects, entities.object_file),
        ("works", "work", world.works, entities.work_file),
    ]
    for folder, kind, count, build in builders:
        for index in range(count):
            yield folder, f"synth-{kind}-{index}", functools.partial(build, world, index)


def _prepare(out_dir: Path) -> None:
    """Create `out_dir`, or empty a previous `kg synth` output; refuse to touch anything else."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"{out_dir}: exists and is not a directory.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MANIFEST_NAME).is_file():
            raise UserInputError(
                f"{out_dir}: not empty and not made by `kg synth`; give an empty or new directory."
            )
        for folder in _FOLDERS:
            shutil.rmtree(out_dir / folder, ignore_errors=True)
        (out_dir / MANIFEST_NAME).unlink()
    for folder in _FOLDERS:
        (out_dir / folder).mkdir(parents=True, exist_ok=True)


def synthesize(
    out_dir: Path,
    *,
    sites: int,
    seed: int,
    vocab_dir: Path,
    violations: float = 0.0,
) -> SynthReport:
    """Write `sites` synthetic sites and everything they refer to under `out_dir`.

    The layout is data/ttl/'s (sites/, places/, people/ …, one entity or family per file), so
    `kg load DIR` and `kg validate DIR` read it as they read the curated data. `violations` is the
    share of sites given one deliberate violation each; they are listed in `synth-manifest.json`.
    """
    if sites < 1:
        raise UserInputError("--sites must be at least 1.")
    if not 0.0 <= violations <= 1.0:
        raise UserInputError("--violations is a fraction of the sites, between 0 and 1.")
    started = time.perf_counter()
    world = plan_world(sites, seed, read_concepts(vocab_dir))
    _prepare(out_dir)
    triples: dict[str, int] = dict.fromkeys(_FOLDERS, 0)
    files = 0
    flaws: list[dict[str, str]] = []

    def emit(folder: str, name: str, turtle: TurtleFile) -> None:
        nonlocal files
        (out_dir / folder / f"{name}.ttl").write_text(turtle.text(), encoding="utf-8")
        triples[folder] += turtle.triples
        files += 1

    for folder, name, build in _jobs(world):
        emit(folder, name, build())
    for index in range(sites):
        flaw = flaw_of(index, sites, violations)
        emit("sites", f"synth-site-{index}", entities.site_file(world, index, flaw))
        if flaw is not None:
            flaws.append({"file": f"sites/synth-site-{index}.ttl", "kind": flaw,
                          "shape": FLAW_SHAPES[flaw]})
    manifest = {
        "generator": "kg synth",
        "note": "Synthetic data for benchmarks and tests: no entity, name, date or source in "
        "this directory is real.",
        "seed": seed,
        "sites": sites,
        "entities": {
            "sites": world.sites, "places": world.places, "people": world.people,
            "organizations": world.organizations, "sources": world.sources,
            "media": world.media, "objects": world.objects, "works": world.works,
        },
        "files": files,
        "triples": sum(triples.values()),
        "triples_by_folder": triples,
        "violations": {
            "fraction": violations,
            "count": len(flaws),
            "by_kind": {k: sum(f["kind"] == k for f in flaws) for k in FLAW_KINDS},
            "items": flaws,
        },
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return SynthReport(out_dir=out_dir, files=files, triples=sum(triples.values()),
                       violations=len(flaws), seconds=time.perf_counter() - started)
