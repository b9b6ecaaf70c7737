"""The dataset as ONE file with its named graphs kept: Oxigraph's fairest input for `load`.

`oxigraph load` pays a fixed cost per file (about 50 ms on this machine, whatever the file's
size), so feeding it the ~10 triples-per-file layout of `data/ttl/` measures that cost more than
loading. A data partner would hand Oxigraph one dump instead, so the suite also gives it the same
quads in one file: each source file's triples in the same named graph `kg load` puts them in
(`kg.dataset.graph_iri_for`). Two syntaxes are offered: TriG (the Turtle family, what the source
files are written in) and N-Quads (the simplest to parse, and the one Oxigraph can split across
threads). Making the file is preparation, not timed; it is cached next to the dataset.

A store keeps a triple once per graph, so a file that states a triple twice (kg synth's random
words do, rarely: 130 times in the 10M data) loads as fewer quads than the manifest's triple
count. `expected_quads` counts what a correct load must hold — each file's distinct triples — and
`bench.load` checks Oxigraph's one-file loads against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from bench.data import Dataset
from bench.proc import ROOT
from kg.dataset import discover_files
from kg.namespaces import PREFIXES

__all__ = ["FORMATS", "expected_quads", "one_file"]

FORMATS = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


def _quads(data: Dataset) -> Iterator[ox.Quad]:
    """Every triple of every file, in the graph kg load gives that file.

    Each `ox.parse` call draws fresh blank-node identifiers, so the `[ … ]` nodes of different
    files stay distinct, as they are when the files are loaded one by one.
    """
    for source in discover_files([data.directory], root=ROOT):
        graph = ox.NamedNode(source.graph_iri)
        for parsed in ox.parse(path=source.path, format=ox.RdfFormat.TURTLE):
            yield ox.Quad(parsed.subject, parsed.predicate, parsed.object, graph)


def _fresh(path: Path, data: Dataset) -> bool:
    """Made after the dataset was (re)generated."""
    stamp = data.directory / "synth-manifest.json"
    return path.is_file() and path.stat().st_mtime >= stamp.stat().st_mtime


def expected_quads(data: Dataset) -> int:
    """The quads a correct load of the dataset holds: each file's distinct triples, summed."""
    target = data.directory.with_name(f"{data.directory.name}.quads.json")
    if _fresh(target, data):
        return int(json.loads(target.read_text(encoding="utf-8"))["quads"])
    total = sum(len(set(ox.parse(path=source.path, format=ox.RdfFormat.TURTLE)))
                for source in discover_files([data.directory], root=ROOT))
    target.write_text(json.dumps({"quads": total}) + "\n", encoding="utf-8")
    return total


def one_file(data: Dataset, extension: str) -> Path:
    """The dataset as one `extension` ("trig" or "nq") file; made once per generated dataset."""
    target = data.directory.with_name(f"{data.directory.name}.{extension}")
    if _fresh(target, data):
        return target
    partial = target.with_name(target.name + ".partial")
    prefixes = dict(PREFIXES) if extension == "trig" else None
    ox.serialize(_quads(data), str(partial), FORMATS[extension], prefixes=prefixes)
    partial.replace(target)
    return target
